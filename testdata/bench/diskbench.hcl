# diskbench: write 64 MiB on a disk volume, then read it 4 times, with
# O_DIRECT (no guest page cache), timed with /proc/uptime (10 ms steps);
# make bench boots it on each backend and reads the two lines it prints.
variable "image" {
  type    = string
  default = "busybox:1.36"
}

pod "diskbench" {
  container "dd" {
    image = var.image
    command = ["sh", "-c", <<-EOT
      t() { read u _ < /proc/uptime; echo $u; }
      rate() { awk -v n=$1 -v s=$2 -v e=$3 'BEGIN { if (e > s) printf "%.1f", n / (e - s); else print "inf" }'; }
      s=$(t); dd if=/dev/zero of=/data/f bs=1M count=64 oflag=direct conv=fsync 2>/dev/null; e=$(t)
      echo "disk write: $(rate 64 $s $e) MiB/s"
      s=$(t); for i in 1 2 3 4; do dd if=/data/f of=/dev/null bs=1M iflag=direct 2>/dev/null; done; e=$(t)
      echo "disk read: $(rate 256 $s $e) MiB/s"
    EOT
    ]
    mount {
      volume = "data"
      path   = "/data"
    }
  }
  volume "data" {
    type = "disk"
    size = "128MiB"
  }
}
