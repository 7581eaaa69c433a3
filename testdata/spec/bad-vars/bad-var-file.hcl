# bad-var-file.args reads bad-var-file.hclvars, which sets an undeclared
# variable and a number where a string belongs.
variable "tag" {
  type = string
}
variable "cpus" {
  type = number
}
pod "web" {
  cpus = var.cpus
  container "server" {
    image = "busybox:${var.tag}"
  }
}
