pod "web" {
  container "server" {
    image = "busybox
  }
}
