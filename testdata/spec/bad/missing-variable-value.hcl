variable "tag" {
  description = "no default and no -var"
}
pod "web" {
  container "server" {
    image = "busybox:${var.tag}"
  }
}
