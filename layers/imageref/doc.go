// Package imageref parses image references written in skopeo's transport
// syntax, the one pod files use in a container's image attribute:
//
//	busybox:1.36                      same as docker://busybox:1.36
//	docker://ghcr.io/org/app@sha256:… a registry
//	docker-daemon:busybox:1.36        the local Docker daemon
//	oci:DIR[:TAG]                     an OCI image layout directory
//	oci-archive:FILE[:TAG]            a tar of an OCI image layout
//	docker-archive:FILE[:REF]         a `docker save` tarball
//
// skopeo's other transports (dir:, containers-storage:, ...) are refused
// by name (ErrUnsupportedTransport) rather than read as Docker Hub names.
//
// Parse checks the syntax only; it never touches the network or the file
// system. Registry names are normalised with go-containerregistry
// (busybox → index.docker.io/library/busybox:latest) so that String gives
// one spelling per image. Relative paths are kept as written: Resolve
// makes them absolute against the directory of the file they came from.
package imageref
