# hello: one busybox container that prints a line and exits with a chosen
# status; hyperboot exits with that same status.
#
#   hyperbuild validate examples/hello.hcl
#   hyperbuild examples/hello.hcl -o hello.img -var status=0
#
# The image defaults to busybox:1.36 from Docker Hub (needs network). To
# build offline, point it at a local OCI layout, as `make demo` does:
#   -var image=oci:/path/to/busybox-oci:latest

variable "image" {
  type        = string
  default     = "busybox:1.36"
  description = "The busybox image, in skopeo syntax (docker://, oci:, ...)."
}

variable "status" {
  type        = number
  default     = 3
  description = "The exit status the container, and so the pod, ends with."
}

pod "hello" {
  container "hello" {
    image   = var.image
    command = ["sh", "-c", "echo hello from hyper; exit ${var.status}"]
  }
}
