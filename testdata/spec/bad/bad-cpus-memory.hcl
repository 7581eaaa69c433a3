# 64 vCPUs do not boot in 64 MiB: the kernel's per-CPU areas need more.
pod "web" {
  cpus   = 64
  memory = "64MiB"
  container "server" {
    image = "busybox"
  }
}
