# pod: a tour of the pod file. Two busybox containers share a tmpfs
# volume and localhost; the server's port 80 is published on host port
# 8080. Values can come from variables (-var, -var-file) and HCL's
# functions (file(), upper(), format(), ...).
#
#   hyperbuild validate examples/pod.hcl --json
#   hyperbuild examples/pod.hcl -o pod.img -var tag=1.36
#
# The image defaults to busybox:1.36 from Docker Hub (needs network). To
# build offline, point it at a local OCI layout, as `make demo` does:
#   -var image=oci:/path/to/busybox-oci:latest

variable "image" {
  type        = string
  default     = "busybox:1.36"
  description = "The image both containers run."
}

variable "greeting" {
  default = "hello"
}

pod "web" {
  hostname = "web"
  cpus     = 1
  memory   = "256MiB"
  restart  = "never" # the containers' default: never | on-failure | always

  kernel {
    cmdline = "quiet"
  }

  container "server" {
    image   = var.image
    command = ["httpd", "-f", "-p", "80", "-h", "/www"]
    env = {
      GREETING = upper(var.greeting)
    }
    workdir      = "/www"
    stop_signal  = "SIGTERM"
    stop_timeout = "10s"
    restart      = "on-failure"

    mount {
      volume = "cache"
      path   = "/cache"
    }
  }

  container "sidecar" {
    image   = var.image
    command = ["sh", "-c", "until wget -q -O /cache/page http://127.0.0.1:80/; do sleep 0.2; done; cat /cache/page"]
    user    = "1000:1000"

    mount {
      volume    = "cache"
      path      = "/cache"
      read_only = false
    }
  }

  volume "cache" {
    type = "tmpfs"
    size = "64MiB"
  }

  file "/www/index.html" {
    container = "server"
    content   = format("%s from hyper\n", var.greeting)
    mode      = "0644"
  }

  port {
    host     = 8080
    guest    = 80
    protocol = "tcp"
  }
}
