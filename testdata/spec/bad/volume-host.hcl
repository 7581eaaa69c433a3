pod "store" {
  container "app" {
    image = "busybox"
  }
  volume "sized" {
    type = "host"
    size = "1GiB"
  }
  volume "seeded" {
    type = "host"
    seed = "."
  }
  volume "mem" {
    seed = "."
  }
}
