# web: two busybox containers in one pod. "server" serves /www/index.html
# on port 80; "sidecar" fetches it over the pod's shared localhost and
# keeps a copy in a tmpfs volume both containers mount. Host port 8080
# (-var port=N to change) reaches the server: after `hyperboot web.img`, try
#   curl http://127.0.0.1:8080/
#
# The image defaults to busybox:1.36 from Docker Hub (needs network). To
# build offline, point it at a local OCI layout, as `make demo` does:
#   -var image=oci:/path/to/busybox-oci:latest

variable "image" {
  type    = string
  default = "busybox:1.36"
}

variable "port" {
  type        = number
  default     = 8080
  description = "The host port that reaches the server's port 80."
}

pod "web" {
  container "server" {
    image = var.image
    # httpd in the foreground; on the pod's stop signal, stop it and exit 0
    # (a server that dies of SIGTERM would make the pod's status 143).
    command = ["sh", "-c", "httpd -f -p 80 -h /www & trap 'kill $!; exit 0' TERM; wait"]
    mount {
      volume = "shared"
      path   = "/shared"
    }
  }

  container "sidecar" {
    image = var.image
    command = ["sh", "-c", <<-EOT
      until wget -q -O /shared/index.html http://127.0.0.1:80/ 2>/dev/null; do sleep 0.2; done
      echo "sidecar fetched: $(cat /shared/index.html)"
    EOT
    ]
    mount {
      volume = "shared"
      path   = "/shared"
    }
  }

  volume "shared" {
    type = "tmpfs"
    size = "16MiB"
  }

  file "/www/index.html" {
    container = "server"
    content   = "hello from the hyper web pod\n"
    mode      = "0644"
  }

  port {
    host     = var.port
    guest    = 80
    protocol = "tcp"
  }
}
