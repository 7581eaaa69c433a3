pod "web" {
  kernel {
    path  = "../good/bzImage"
    image = "registry.example.com/hyper/kernel:6.1"
  }
  container "server" {
    image = "busybox"
  }
}
