pod "store" {
  container "app" {
    image = "busybox"
  }
  volume "nosize" {
    type = "disk"
  }
  volume "tiny" {
    type = "disk"
    size = "1MiB"
  }
  volume "odd" {
    type = "disk"
    size = 16777217
  }
  volume "a-name-longer-than-twenty" {
    type = "disk"
    size = "1GiB"
  }
  volume "noseed" {
    type = "disk"
    size = "1GiB"
    seed = "./no-such-dir"
  }
  volume "ro" {
    type      = "disk"
    size      = "1GiB"
    read_only = true
  }
}
