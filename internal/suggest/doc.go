// Package suggest finds the name a user probably meant ("did you mean
// on-failure?"), for the pod-file and image-reference diagnostics.
package suggest
