pod "web" {
  containr "server" {
    image = "busybox"
  }
}
