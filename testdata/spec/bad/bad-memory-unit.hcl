pod "web" {
  memory = "100MB"
  container "server" {
    image = "busybox"
  }
}
