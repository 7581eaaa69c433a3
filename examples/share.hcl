# share: a host directory in the pod, both ways. The "src" volume is a
# host directory bound at run time; the pod reads what the host put there
# and writes back (9p: QEMU's -virtfs, or the kvm backend's own server,
# confined to the directory):
#   hyperbuild examples/share.hcl -o share.img
#   mkdir -p src && echo "hello from the host" > src/hello.txt
#   hyperboot -v ./src:/src share.img      # or -v src=./src
#   cat src/from-pod.txt
# With -v ./src:/src:ro the pod reads but cannot write.
#
# The image defaults to busybox:1.36 from Docker Hub (needs network); for
# an offline build: -var image=oci:/path/to/busybox-oci:latest

variable "image" {
  type    = string
  default = "busybox:1.36"
}

pod "share" {
  container "worker" {
    image   = var.image
    command = ["sh", "-c", <<-EOT
      echo "the host says: $(cat /src/hello.txt)"
      if echo "written by the pod" > /src/from-pod.txt; then
        echo "wrote /src/from-pod.txt"
      fi
    EOT
    ]
    mount {
      volume = "src"
      path   = "/src"
    }
  }
  volume "src" {
    type = "host"
  }
}
