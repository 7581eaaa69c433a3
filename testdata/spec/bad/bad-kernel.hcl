pod "web" {
  kernel {
    path = "./no-such-bzImage"
  }
  kernel {
    cmdline = "quiet"
  }
  container "server" {
    image = "busybox"
  }
}
