pod "web" {
  container "server" {
    image = "busybox"
  }
  port {
    host  = 8080
    guest = 80
  }
  port {
    host     = 8080
    guest    = 81
    protocol = "TCP"
  }
}
