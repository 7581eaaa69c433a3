# nginx: the real nginx image from Docker Hub, published on host port
# 8080. Building it needs network access to registry-1.docker.io; there is
# no offline variant.
#
#   hyperbuild examples/nginx.hcl -o nginx.img
#   hyperboot nginx.img -p 8080:80 &
#   curl http://127.0.0.1:8080/

variable "image" {
  type    = string
  default = "docker.io/library/nginx:1.27"
}

variable "port" {
  type    = number
  default = 8080
}

pod "nginx" {
  memory = "512MiB"

  container "nginx" {
    image       = var.image
    stop_signal = "SIGQUIT" # nginx's graceful shutdown, as its image declares
  }

  port {
    host  = var.port
    guest = 80
  }
}
