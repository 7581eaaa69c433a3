package kvm

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Exit is how a VM ended.
type Exit struct {
	// Status is the byte written to the exit port; valid when Reported.
	Status   int
	Reported bool
	// How says how the guest stopped ("powered off", "reset", ...).
	How string
	// FirstEntry is the time from Run's start to vCPU 0's first KVM_RUN.
	FirstEntry time.Duration
	// RSS is the process's resident memory when the guest stopped, and
	// GuestResident how much of it was guest RAM: RSS - GuestResident is
	// what the VMM itself costs.
	RSS, GuestResident int64
}

// kickInterval is how often a stopping VM's vCPUs are kicked again, in
// case a signal arrived just before a vCPU re-entered KVM_RUN.
const kickInterval = 10 * time.Millisecond

// Run boots cfg and blocks until the VM stops (see the package doc for
// what stops it). All vCPU threads have exited and the VM is released
// when Run returns. When ctx is cancelled the guest's ACPI power button
// is pressed and the VM is stopped cfg.StopTimeout later if it is still
// running (at once when StopTimeout is 0); Run then returns ctx's error.
// Closing cfg.Kill stops the VM at once (Exit.How "was killed").
func Run(ctx context.Context, cfg Config) (Exit, error) {
	var first time.Duration
	mark := cfg.Mark
	start := time.Now()
	cfg.Mark = func(f string, args ...any) {
		if f == "kvm: first vCPU entry" {
			first = time.Since(start)
		}
		if mark != nil {
			mark(f, args...)
		}
	}
	if cfg.Agent != nil {
		defer cfg.Agent.Stop() // its host end reads EOF, even if the VM never ran
	}
	m, err := newMachine(cfg)
	if err != nil {
		return Exit{}, err
	}
	defer m.close()
	m.mark("kvm: VM created (%d vCPUs, %d MiB)", len(m.vcpus), len(m.mem)>>20)

	var wg sync.WaitGroup
	// devices are the goroutines that fill receive queues; they touch
	// guest memory, so they end before it is unmapped.
	var devices sync.WaitGroup
	if m.nic != nil {
		devices.Add(1)
		go func() {
			defer devices.Done()
			m.nic.Serve(m.nicMMIO, m.stop.done)
		}()
	}
	if m.agent != nil {
		devices.Add(1)
		go func() {
			defer devices.Done()
			m.agent.Serve(m.agentMMIO, m.stop.done)
		}()
	}
	m.serveShares(&devices)
	for _, v := range m.vcpus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.loop(v)
		}()
	}
	select {
	case <-m.stop.done:
	case <-cfg.Kill:
		m.stop.set(outcome{how: howKilled})
	case <-ctx.Done():
		m.shutdown(ctx, cfg.StopTimeout, cfg.Kill)
	}
	m.join(&wg)
	if m.tap != nil {
		m.tap.Close() // ends the NIC's Read
		m.tap = nil
	}
	devices.Wait()
	m.uart.Flush()
	o := m.stop.out
	e := Exit{Status: o.status, Reported: o.reported, How: o.how, FirstEntry: first}
	e.RSS, e.GuestResident = processRSS(), resident(m.mem)
	m.mark("kvm: guest %s", o.how)
	if o.err != nil {
		return e, o.err
	}
	if err := m.uart.Err(); err != nil {
		return e, err
	}
	return e, nil
}

// shutdown presses the power button and gives the guest grace to power
// off (or report its status) before stopping it; kill cuts the grace
// short.
func (m *machine) shutdown(ctx context.Context, grace time.Duration, kill <-chan struct{}) {
	if grace > 0 {
		m.mark("kvm: power button pressed")
		m.pressPowerButton()
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-m.stop.done:
			return
		case <-kill:
			m.stop.set(outcome{how: howKilled})
			return
		case <-t.C:
		}
	}
	how := howStopped
	if grace > 0 {
		how = fmt.Sprintf("did not stop within %v of the power button and was killed", grace)
	}
	m.stop.set(outcome{how: how, err: ctx.Err()})
}

// join kicks every vCPU out of the guest until all their threads are gone.
func (m *machine) join(wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTicker(kickInterval)
	defer t.Stop()
	for {
		for _, v := range m.vcpus {
			v.kick()
		}
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
}
