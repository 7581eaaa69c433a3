package main

import (
	"os"
	"path/filepath"
)

func (b *bench) hyperstart() error {
	st, err := os.Stat(filepath.Join(b.bin, "hyperstart"))
	if err != nil {
		return err
	}
	b.add(Row{Area: "hyperstart", What: "static binary size", Value: float64(st.Size()) / (1 << 20), Unit: "MiB", Goal: "< 6 MiB"})
	if b.guestRSS > 0 {
		b.add(Row{Area: "hyperstart", What: "RSS in the guest (VmRSS)", Value: b.guestRSS / 1024, Unit: "MiB", Goal: "< 8 MiB"})
	} else {
		b.skip("hyperstart", "RSS in the guest", "no boot measured")
	}
	return nil
}
