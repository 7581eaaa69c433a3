// Command bench measures hyper and prints one table, each figure beside
// its baseline, all from the same run; it also writes them as JSON so runs
// can be compared. Benchmarks never fail the build: a figure that cannot
// be measured here is printed as skipped, with the reason.
//
//	go run ./internal/cmd/bench [-o bench/results.json] [-runs 3]
package main
