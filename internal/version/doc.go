// Package version reports which hyper this is. The Makefile sets Version
// from `git describe` with -ldflags; a plain `go build` falls back to the
// module's VCS stamp, so a binary never claims a version it is not.
package version
