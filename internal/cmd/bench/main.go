package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one measured figure beside its baseline.
type Row struct {
	Area     string  `json:"area"`
	What     string  `json:"what"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline,omitempty"`
	BaseWhat string  `json:"baseline_what,omitempty"`
	Goal     string  `json:"goal,omitempty"`
	Skipped  string  `json:"skipped,omitempty"`
}

// Results is what bench/results.json holds.
type Results struct {
	When    time.Time `json:"when"`
	Host    string    `json:"host"`
	Version string    `json:"version"`
	Rows    []Row     `json:"rows"`
}

type bench struct {
	repo string
	bin  string
	work string
	runs int
	rows []Row
	// guestRSS is hyperstart's VmRSS in kB, read from a traced boot.
	guestRSS float64
	// busyboxRef is the offline busybox image, made once.
	busyboxRef string
}

func main() {
	out := flag.String("o", "bench/results.json", "write the results here as JSON")
	runs := flag.Int("runs", 3, "repeat each timing this many times and keep the median")
	only := flag.String("only", "", "run only these steps, comma-separated (ext4, flatten, build, boot, vmm, net, hyperstart, hyperd, formats, disk, registry)")
	flag.Parse()
	repo, _ := os.Getwd()
	work, err := os.MkdirTemp("", "hyper-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(work)
	b := &bench{repo: repo, bin: filepath.Join(repo, "bin"), work: work, runs: *runs}
	for _, step := range []struct {
		name string
		run  func() error
	}{
		{"ext4", b.ext4},
		{"flatten", b.flatten},
		{"build", b.build},
		{"boot", b.boot},
		{"vmm", b.vmm},
		{"net", b.net},
		{"hyperstart", b.hyperstart},
		{"hyperd", b.hyperd},
		{"formats", b.formats},
		{"disk", b.disk},
		{"registry", b.registry},
	} {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), step.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: %s...\n", step.name)
		if err := step.run(); err != nil {
			b.rows = append(b.rows, Row{Area: step.name, What: "(all)", Skipped: err.Error()})
		}
	}
	b.print()
	res := Results{When: time.Now().UTC(), Host: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()), Version: gitDescribe(repo), Rows: b.rows}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err == nil {
		if data, err := json.MarshalIndent(res, "", "  "); err == nil {
			os.WriteFile(*out, append(data, '\n'), 0o644)
			fmt.Printf("\nwritten to %s\n", *out)
		}
	}
}

func (b *bench) add(r Row) { b.rows = append(b.rows, r) }

func (b *bench) skip(area, what, why string) {
	b.rows = append(b.rows, Row{Area: area, What: what, Skipped: why})
}

func (b *bench) print() {
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AREA\tMEASURE\tHYPER\tBASELINE\tRATIO\tGOAL")
	for _, r := range b.rows {
		if r.Skipped != "" {
			fmt.Fprintf(tw, "%s\t%s\tskipped: %s\t\t\t\n", r.Area, r.What, r.Skipped)
			continue
		}
		base, ratio := "", ""
		if r.BaseWhat != "" {
			base = fmt.Sprintf("%s (%s)", format(r.Baseline, r.Unit), r.BaseWhat)
			if r.Baseline != 0 {
				ratio = fmt.Sprintf("%.2f", r.Value/r.Baseline)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Area, r.What, format(r.Value, r.Unit), base, ratio, r.Goal)
	}
	tw.Flush()
}

func format(v float64, unit string) string {
	switch unit {
	case "s":
		return fmt.Sprintf("%.3f s", v)
	case "ms":
		return fmt.Sprintf("%.1f ms", v)
	case "MiB":
		return fmt.Sprintf("%.1f MiB", v)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}
