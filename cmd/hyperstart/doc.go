// Command hyperstart is the pod VM's init: /init in the initramfs, PID 1
// in the guest. It is a small static binary (CGO_ENABLED=0); everything it
// does is in package hyperstart, which must never import HCL, registries,
// go-diskfs, the builder or the runner (a test enforces it).
package main
