pod "web" {
  cpus = "two"
  container "server" {
    image   = "busybox"
    command = "httpd -f"
    env     = ["A=b"]
  }
}
