pod "web" {
  container "server" {
    image = "busybox"
    mount {
      volume = "cache"
      path   = "cache"
    }
    mount {
      volume = "cache"
      path   = "/cache"
    }
    mount {
      volume = "cache"
      path   = "/cache"
    }
  }
  volume "cache" {}
  volume "cache" {}
}
