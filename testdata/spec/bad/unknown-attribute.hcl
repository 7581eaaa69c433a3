pod "web" {
  container "server" {
    imgae = "busybox"
  }
  container "sidecar" {
    image   = "busybox"
    comand  = ["true"]
    command = ["true"]
  }
}
