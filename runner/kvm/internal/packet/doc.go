// Package packet sends the raw Ethernet frame the nested virtio-net test
// looks for; both the outer and the inner test init send it.
package packet
