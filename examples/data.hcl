# data: a pod whose data survives reboots. The "data" volume is an ext4
# data disk that hyperbuild makes beside the image (data.img ->
# data.data.ext4; rebuilding the image keeps it). Each boot appends a line
# to /data/boots and prints how many boots the disk has seen:
#   hyperbuild examples/data.hcl -o data.img
#   hyperboot data.img    # boots: 1
#   hyperboot data.img    # boots: 2
# Another disk for the same image: hyperboot -v data=./other.ext4 data.img
# (made on first use if absent).
#
# The image defaults to busybox:1.36 from Docker Hub (needs network); for
# an offline build: -var image=oci:/path/to/busybox-oci:latest

variable "image" {
  type    = string
  default = "busybox:1.36"
}

pod "data" {
  container "counter" {
    image   = var.image
    command = ["sh", "-c", "echo boot >> /data/boots && echo boots: $(wc -l < /data/boots)"]
    mount {
      volume = "data"
      path   = "/data"
    }
  }
  volume "data" {
    type = "disk"
    size = "64MiB"
  }
}
