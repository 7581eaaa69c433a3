pod "web" {
  restart = "sometimes"
  container "server" {
    image   = "busybox"
    restart = "on-falure"
  }
}
