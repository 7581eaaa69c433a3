// Package units reads and writes byte sizes the way pod files and flags
// spell them: "64MiB", "1G", "512k", "4096".
package units
