pod "web" {
  memory = "16MiB"
  container "server" {
    image = "busybox"
  }
}
