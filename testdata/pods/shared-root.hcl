# Three containers of one image: "a" and "b" have no files of their own and
# share one root on the pod partition; "c" has a file, so it gets its own.
# Each still writes to its own overlay: b never sees what a wrote to /, and
# only c sees its file. Used by builder's and e2e's tests.

variable "image" {
  type = string
}

pod "shared" {
  container "a" {
    image   = var.image
    command = ["sh", "-c", "echo from-a > /mine && touch /v/a-wrote && echo \"a: $(cat /mine), $(cat /from-c 2>/dev/null || echo no file)\""]
    mount {
      volume = "v"
      path   = "/v"
    }
  }

  container "b" {
    image   = var.image
    command = ["sh", "-c", "until [ -e /v/a-wrote ]; do sleep 0.1; done; echo \"b: $(cat /mine 2>/dev/null || echo nothing of a), $(cat /from-c 2>/dev/null || echo no file)\""]
    mount {
      volume = "v"
      path   = "/v"
    }
  }

  container "c" {
    image   = var.image
    command = ["sh", "-c", "echo \"c: $(cat /from-c)\""]
  }

  volume "v" {
    type = "tmpfs"
  }

  file "/from-c" {
    container = "c"
    content   = "c's own file"
  }
}
