// Package guestmem is the guest's physical memory as the VMM sees it: one
// byte slice (the host mapping KVM also uses), addressed by guest-physical
// address. Every access a device makes on the guest's behalf goes through
// it, so an address or a length the guest wrote is checked once, here, and
// a bad one is an error rather than a host crash.
//
// Tests and fuzz targets build a Memory over a plain make([]byte, n).
package guestmem
