pod "web" {
  container "server" {
    image = "busybox"
    mount {
      volume = "data"
      path   = "/data"
    }
  }
  volume "data" {
    type = "hostpath"
  }
}
