variable "tag" {
  default = "1.36"
}
locals {
  tag = "1.36"
}
pod "web" {
  container "server" {
    image = "busybox"
  }
}
