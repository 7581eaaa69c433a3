variable "cpus" {
  type    = number
  default = "one"
}
variable "cpus" {
  default = 1
}
pod "web" {
  container "server" {
    image = "busybox"
  }
}
