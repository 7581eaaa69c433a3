pod "web" {
  container "a" {
    image        = "busybox"
    stop_timeout = "10"
  }
  container "b" {
    image        = "busybox"
    stop_timeout = "soon"
  }
  container "c" {
    image        = "busybox"
    stop_timeout = "-5s"
  }
}
