pod "web" {
  hostname = "not a hostname"
  cpus     = 0
  network {
    address = "10.0.2.15"
    gateway = "gateway"
    dns     = ["one.one.one.one"]
  }
  container "server" {
    image   = "busybox"
    workdir = "www"
    user    = "root:wheel:extra"
    env     = { "A=B" = "c" }
  }
}
