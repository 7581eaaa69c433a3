package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/runner"
	"github.com/hyperbuild/hyper/runner/kvm"
	"github.com/hyperbuild/hyper/runner/kvm/virtio"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vmmrun", flag.ContinueOnError)
	var cfg kvm.Config
	fs.StringVar(&cfg.Kernel, "kernel", "", "bzImage")
	fs.StringVar(&cfg.Initrd, "initrd", "", "initramfs")
	fs.StringVar(&cfg.Cmdline, "append", "console=ttyS0", "kernel command line")
	fs.StringVar(&cfg.Disk, "disk", "", "disk image, attached read-only")
	fs.StringVar(&cfg.Tap, "tap", "", "tap device for a virtio-net NIC (root)")
	fs.IntVar(&cfg.CPUs, "cpus", 1, "vCPUs")
	fs.Int64Var(&cfg.MemoryMiB, "mem", 256, "guest memory in MiB")
	timeout := fs.Duration("timeout", 0, "stop the VM after this long (0: never)")
	fs.DurationVar(&cfg.StopTimeout, "grace", 10*time.Second, "after an interrupt or the timeout, how long the guest has to power off once the power button is pressed")
	trace := fs.Bool("trace", false, "print the boot timeline on stderr")
	viaRunner := fs.Bool("via-runner", false, "boot through runner.BootWith and the kvm Backend (console filter, exit line) instead of kvm.Run")
	echo := fs.Int("agent-echo", 0, "send this many bytes on the agent port and check that the guest (testinit.agent) echoes them")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	start := time.Now()
	cfg.Console = stdout
	if *trace {
		cfg.Mark = func(f string, a ...any) {
			fmt.Fprintf(stderr, "[%8.3fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(f, a...))
		}
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if *timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	if *viaRunner {
		return runBackend(ctx, cfg, *trace, *echo, stderr, start)
	}
	if *echo > 0 {
		con, err := virtio.NewConsole(contract.AgentPort)
		if err != nil {
			fmt.Fprintf(stderr, "vmmrun: %v\n", err)
			return 125
		}
		cfg.Agent = con
		go func() { agentEcho(con.Open, *echo, stderr) }()
	}
	e, err := kvm.Run(ctx, cfg)
	fmt.Fprintf(stderr, "vmmrun: guest %s, status=%d reported=%v, first vCPU entry %.2f ms, RSS %d KiB of which guest %d KiB (VMM %d KiB), %.3f s\n",
		e.How, e.Status, e.Reported, float64(e.FirstEntry.Microseconds())/1000,
		e.RSS>>10, e.GuestResident>>10, (e.RSS-e.GuestResident)>>10, time.Since(start).Seconds())
	if err != nil {
		fmt.Fprintf(stderr, "vmmrun: %v\n", err)
		return 125
	}
	if !e.Reported {
		return 124
	}
	return e.Status
}

// runBackend boots cfg the way hyperboot --backend kvm does.
func runBackend(ctx context.Context, cfg kvm.Config, trace bool, echo int, stderr io.Writer, start time.Time) int {
	b := runner.Boot{
		Kernel: cfg.Kernel, Initrd: cfg.Initrd, Cmdline: cfg.Cmdline, Disk: cfg.Disk,
		CPUs: cfg.CPUs, MemoryMiB: cfg.MemoryMiB, Net: "none",
		Stdout: cfg.Console, Verbose: stderr, StopTimeout: cfg.StopTimeout,
	}
	if cfg.Tap != "" {
		b.Net = "tap:" + cfg.Tap
	}
	if trace {
		b.Trace = runner.NewTimeline(stderr)
	}
	be := &machineOf{}
	if echo > 0 {
		be.started = func(m runner.Machine) {
			go agentEcho(func() (io.ReadWriteCloser, error) { return m.Agent(ctx) }, echo, stderr)
		}
	}
	status, err := runner.BootWith(ctx, be, b)
	fmt.Fprintf(stderr, "vmmrun: status=%d via the runner, %.3f s\n", status, time.Since(start).Seconds())
	if err != nil {
		fmt.Fprintf(stderr, "vmmrun: %v\n", err)
		return 125
	}
	return status
}

// machineOf is the kvm backend, handing the machine it started to
// started, so that vmmrun reaches its agent port below the runner's
// agent client.
type machineOf struct {
	kvm.Backend
	started func(runner.Machine)
}

func (b *machineOf) Start(ctx context.Context, boot runner.Boot) (runner.Machine, error) {
	m, err := b.Backend.Start(ctx, boot)
	if err == nil && b.started != nil {
		b.started(m)
	}
	return m, err
}

// agentEcho sends n bytes, after their length, on the agent port and
// checks that the guest sends the same bytes back.
func agentEcho(open func() (io.ReadWriteCloser, error), n int, stderr io.Writer) {
	rwc, err := open()
	if err != nil {
		fmt.Fprintf(stderr, "vmmrun: agent echo: %v\n", err)
		return
	}
	defer rwc.Close()
	msg := make([]byte, 8+n)
	binary.LittleEndian.PutUint64(msg, uint64(n))
	for i := range n {
		msg[8+i] = byte(i*7 + i>>8)
	}
	go rwc.Write(msg)
	got := make([]byte, n)
	if _, err := io.ReadFull(rwc, got); err != nil {
		fmt.Fprintf(stderr, "vmmrun: agent echo: reading: %v\n", err)
		return
	}
	if !bytes.Equal(got, msg[8:]) {
		fmt.Fprintf(stderr, "vmmrun: agent echo: %d bytes back, not the ones sent\n", n)
		return
	}
	fmt.Fprintf(stderr, "vmmrun: agent echo: %d bytes back intact\n", n)
}
