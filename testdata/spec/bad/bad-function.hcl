pod "web" {
  container "server" {
    image = "busybox"
  }
  file "/www/index.html" {
    content = file("no-such-file.html")
  }
  file "/etc/x" {
    content = nosuchfunc("x")
  }
}
