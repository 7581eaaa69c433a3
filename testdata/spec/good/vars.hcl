# Variables from every source: defaults, a -var-file and -var flags
# (see vars.args); -var wins over the file, which wins over defaults.
variable "tag" {
  default = "1.35"
}

variable "cpus" {
  type    = number
  default = 1
}

variable "debug" {
  type    = bool
  default = false
}

variable "greeting" {
  type    = string
  default = "overridden by vars.hclvars"
}

variable "dns" {
  type    = list(string)
  default = []
}

pod "vars" {
  cpus = var.cpus

  kernel {
    cmdline = var.debug ? "hyper.debug" : ""
  }

  network {
    dns = var.dns
  }

  container "app" {
    image   = "busybox:${var.tag}"
    command = ["echo", var.greeting]
  }
}
