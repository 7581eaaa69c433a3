pod "store" {
  container "app" {
    image = "busybox"
    mount {
      volume = "data"
      path   = "/data"
    }
    mount {
      volume = "src"
      path   = "/src"
    }
    mount {
      volume    = "scratch"
      path      = "/scratch"
      read_only = true
    }
  }
  volume "data" {
    type = "disk"
    size = "64MiB"
    seed = "./seed"
  }
  volume "empty" {
    type = "disk"
    size = 16777216
  }
  volume "src" {
    type      = "host"
    read_only = true
  }
  volume "scratch" {
    size = "8MiB"
  }
}
