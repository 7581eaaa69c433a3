# A file block needs no container = when the pod has only one.
pod "single" {
  restart = "always"
  memory  = "64M"
  cpus    = 1

  container "only" {
    image      = "docker://ghcr.io/example/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    entrypoint = ["/bin/app"]
    command    = []
    env        = {}
  }

  file "/etc/app.conf" {
    content = <<-EOT
      listen = ":80"
      level  = "info"
    EOT
  }
}
