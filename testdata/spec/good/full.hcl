# Every attribute and block the HCL front end knows.
variable "tag" {
  type        = string
  default     = "1.36"
  description = "busybox tag"
}

variable "replicas_ports" {
  type    = list(number)
  default = [8080, 8081]
}

variable "labels" {
  type    = map(string)
  default = { tier = "web" }
}

pod "full" {
  hostname = "full.example"
  cpus     = 2
  memory   = "1G"
  restart  = "on-failure"

  kernel {
    cmdline = "quiet loglevel=3"
    path    = "./bzImage"
  }

  network {
    address = "10.0.2.15/24"
    gateway = "10.0.2.2"
    dns     = ["10.0.2.3", "1.1.1.1"]
  }

  container "server" {
    image      = "busybox:${var.tag}"
    platform   = "linux/amd64"
    entrypoint = []
    command    = ["httpd", "-f", "-p", "80"]
    env = {
      GREETING = upper("hi")
      TIER     = var.labels.tier
      PORTS    = join(",", [for p in var.replicas_ports : tostring(p)])
      COUNT    = 3
    }
    workdir      = "/www/"
    user         = "nobody:nogroup"
    stop_signal  = "term"
    stop_timeout = "1m30s"

    mount {
      volume = "cache"
      path   = "/cache"
    }
    mount {
      volume    = "scratch"
      path      = "/scratch"
      read_only = true
    }
  }

  container "sidecar" {
    image   = "oci:../images/busybox:latest"
    restart = "always"
    user    = "1000"
    command = ["sh", "-c", "sleep 1"]

    ulimit "nofile" {
      soft = 65536
      hard = 65536
    }
    ulimit "core" {
      soft = 0                # hard left out: the same
    }
    ulimit "memlock" {
      soft = "unlimited"
      hard = "unlimited"
    }
  }

  container "daemon" {
    image       = "docker-daemon:alpine:3.20"
    stop_signal = 9
  }

  volume "cache" {
    type = "tmpfs"
    size = "64MiB"
  }

  volume "scratch" {
    size = 1048576
  }

  file "/www/index.html" {
    container = "server"
    content   = file("index.html")
    mode      = "0644"
  }

  file "/etc/motd" {
    container = "sidecar"
    content   = trimspace("  welcome  ")
    mode      = "0600"
    owner     = "1000:100"
  }

  port {
    host  = var.replicas_ports[0]
    guest = 80
  }

  port {
    host     = 8080
    guest    = 53
    protocol = "udp"
    address  = "0.0.0.0"     # reachable from the network, not only this host
  }

  port {
    host    = 8443
    guest   = 443
    address = "127.0.0.1"
  }
}
