pod "web" {
  container "a" {
    image       = "busybox"
    stop_signal = "SIGFOO"
  }
  container "b" {
    image       = "busybox"
    stop_signal = 99
  }
}
