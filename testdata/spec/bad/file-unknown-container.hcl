pod "web" {
  container "server" {
    image = "busybox"
  }
  container "sidecar" {
    image = "busybox"
  }
  file "/www/index.html" {
    container = "sever"
    content   = "hello\n"
  }
  file "/etc/motd" {
    content = "which container?\n"
  }
}
