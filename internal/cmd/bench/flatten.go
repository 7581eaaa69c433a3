package main

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
)

// flatten reports the layers package's BenchmarkFlatten: a generated
// 5-layer, 20k-file, ~200 MB image flattened from the cache.
func (b *bench) flatten() error {
	out, err := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkFlatten$", "-benchtime", fmt.Sprintf("%dx", b.runs), "./layers").CombinedOutput()
	if err != nil {
		return fmt.Errorf("go test -bench: %v: %s", err, lastLine(string(out)))
	}
	metric := func(unit string) float64 {
		m := regexp.MustCompile(`([\d.]+) ` + regexp.QuoteMeta(unit)).FindStringSubmatch(string(out))
		if m == nil {
			return 0
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	b.add(Row{Area: "flatten", What: "20k files / ~200 MB, 5 layers (wall)", Value: metric("ns/op") / 1e9, Unit: "s", Goal: "< 1 s"})
	b.add(Row{Area: "flatten", What: "CPU per flatten", Value: metric("cpu-ms/op"), Unit: "ms"})
	b.add(Row{Area: "flatten", What: "peak RSS (whole benchmark)", Value: metric("peak-RSS-MiB"), Unit: "MiB", Goal: "< 64 MiB"})
	return nil
}
