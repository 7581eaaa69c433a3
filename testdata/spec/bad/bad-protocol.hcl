pod "web" {
  container "server" {
    image = "busybox"
  }
  port {
    host     = 8080
    guest    = 80
    protocol = "sctp"
  }
}
