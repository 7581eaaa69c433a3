# undeclared-var-flag.args sets -var tga=1.37.
variable "tag" {
  default = "1.36"
}
pod "web" {
  container "server" {
    image = "busybox:${var.tag}"
  }
}
