pod "web" {
  container "uid" {
    image = "busybox"
    user  = "99999999999999999999"
  }
  container "gid" {
    image = "busybox"
    user  = "1000:4294967295"
  }
  container "ok" {
    image = "busybox"
    user  = "4294967294:nogroup"
  }
}
