// Package cache is hyper's content-addressed store for images: compressed
// blobs (layers, manifests, configs) by digest, the uncompressed layer tars
// they unpack to ("diffs") by DiffID, and the digest each tag last resolved
// to, so that a warm cache rebuilds without the network.
//
// Every entry is written to a temporary file, hashed while it is written,
// and renamed into place only when its digest matches: a killed build never
// leaves a corrupt entry. Readers verify again (Verify) and drop an entry
// that no longer matches, so it is fetched anew.
//
//	DIR/blobs/sha256/HEX   compressed blobs, manifests, configs
//	DIR/diffs/sha256/HEX   uncompressed layer tars, by DiffID
//	DIR/refs/HEX           tag → manifest digest (HEX = sha256 of the ref)
//	DIR/tmp/               entries being written
package cache
