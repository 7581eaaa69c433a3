// Command mkimage writes the offline images the demo and the benchmarks
// boot: busybox from Debian's busybox-static, shaped like Docker Hub's
// busybox image, as an OCI layout. No registry is needed.
//
//	go run ./internal/cmd/mkimage busybox DIR [TAG]
package main
