pod "empty" {
  cpus = 1
}
