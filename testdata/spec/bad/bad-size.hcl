pod "web" {
  memory = "lots"
  container "server" {
    image = "busybox"
  }
  volume "a" {
    size = "64 parsecs"
  }
  volume "b" {
    size = -1
  }
  volume "c" {
    size = "1.5B"
  }
}
