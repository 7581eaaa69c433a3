pod "web" {
  container "server" {
    image = "busybox"
  }
  file "www/index.html" {
    content = "relative path\n"
  }
  file "/etc/a" {
    content = "mode as a number\n"
    mode    = 644
  }
  file "/etc/b" {
    content = "mode not octal\n"
    mode    = "0984"
  }
  file "/etc/c" {
    content = "owner by name\n"
    owner   = "root"
  }
  file "/etc/c" {
    content = "twice\n"
  }
}
