# bad-var-value.args sets -var cpus=many.
variable "cpus" {
  type    = number
  default = 1
}
pod "web" {
  cpus = var.cpus
  container "server" {
    image = "busybox"
  }
}
