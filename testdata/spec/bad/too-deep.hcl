# HCL's parser recurses once per level: a megabyte of this crashed it.
pod "web" {
  cpus = ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
  container "server" {
    image = "busybox"
  }
}
