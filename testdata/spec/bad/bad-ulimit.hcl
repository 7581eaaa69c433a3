pod "web" {
  container "server" {
    image = "busybox"

    ulimit "nofiles" {
      soft = 1024
    }
    ulimit "nproc" {
      soft = 4096
      hard = 1024
    }
    ulimit "nproc" {
      soft = 1
    }
    ulimit "nofile" {
      hard = 2000000
    }
    ulimit "stack" {
      soft = -1
    }
    ulimit "core" {
      soft = "lots"
      hard = 1.5
    }
    ulimit "cpu" {}
    ulimit "as" {
      soft  = 1
      limit = 2
    }
  }
}
