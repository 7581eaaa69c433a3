pod "web" {
  container "server" {
    image = null
    mount {
      volume = null
      path   = "/cache"
    }
  }
  volume "cache" {}
  port {
    host  = null
    guest = 80
  }
  file "/etc/motd" {
    content = null
  }
}
