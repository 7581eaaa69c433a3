pod "web" {
  container "server" {
    image = "busybox"
    mount {
      volume = "cahce"
      path   = "/cache"
    }
  }
  volume "cache" {
    type = "tmpfs"
  }
}
