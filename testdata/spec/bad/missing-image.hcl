pod "web" {
  container "server" {
    command = ["httpd", "-f"]
  }
}
