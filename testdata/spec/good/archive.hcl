# Local images: relative paths are relative to this file's directory and
# come out absolute.
pod "archive" {
  container "a" {
    image = "docker-archive:images/busybox.tar:busybox:1.36"
  }
  container "b" {
    image = "oci-archive:/abs/busybox.tar"
  }
}
