pod "web" {
  container "server" {
    image = "busybox"
  }
  port {
    host  = 70000
    guest = 80
  }
  port {
    host  = 8080
    guest = 0
  }
  port {
    host  = 8081
    guest = 80.5
  }
}
