pod "Web_Pod" {
  container "Server" {
    image = "busybox"
  }
  container "a-very-long-container-name-that-goes-on-and-on-past-sixty-three-chars" {
    image = "busybox"
  }
  volume "my volume" {}
}
