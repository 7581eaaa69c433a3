pod "web" {
  container "server" {
    image    = "busybox"
    platform = "linux/arm64"
  }
}
