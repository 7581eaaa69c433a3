pod "web" {
  container "server" {
    image = "busybox"
  }
  container "server" {
    image = "nginx"
  }
}
