pod "web" {
  container "server" {
    imgae = "busybox"
    image = "busybox"
  }
}
