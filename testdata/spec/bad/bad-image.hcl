pod "web" {
  container "a" {
    image = "Busybox:1.36"
  }
  container "b" {
    image = "dokcer://busybox"
  }
  container "c" {
    image = "oci:"
  }
  container "d" {
    image = ""
  }
}
