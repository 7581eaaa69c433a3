variable "tag" {
  default = "1.36"
}
