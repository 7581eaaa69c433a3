# The least a pod file says: every default applies.
pod "min" {
  container "app" {
    image = "busybox"
  }
}
