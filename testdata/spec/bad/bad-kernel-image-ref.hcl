pod "web" {
  kernel {
    image = "oci:./kernel-layout"
  }
  container "server" {
    image = "busybox"
  }
}
