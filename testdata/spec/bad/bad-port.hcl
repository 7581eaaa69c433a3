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
  port {
    host    = 8082
    guest   = 80
    address = "localhost"
  }
  port {
    host    = 8083
    guest   = 80
    address = "fe80::1%eth0"
  }
  port {
    host    = 8086
    guest   = 80
    address = "::"
  }
  port {
    host    = 8084
    guest   = 80
    address = "10.0.0.1/24"
  }
}
