pod "one" {
  container "a" {
    image = "busybox"
  }
}
pod "two" {
  container "a" {
    image = "busybox"
  }
}
