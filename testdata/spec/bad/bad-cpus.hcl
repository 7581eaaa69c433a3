pod "web" {
  cpus   = 65
  memory = "48MiB"
  container "server" {
    image = "busybox"
  }
}
