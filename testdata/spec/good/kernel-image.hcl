pod "pinned" {
  kernel {
    image   = "registry.example.com/hyper/kernel@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    cmdline = "loglevel=4"
  }
  container "app" {
    image = "busybox:1.36"
  }
}
