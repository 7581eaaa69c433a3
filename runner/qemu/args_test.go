package qemu

import (
	"errors"
	"slices"
	"testing"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/runner"
)

func TestArgs(t *testing.T) {
	base := runner.Boot{Kernel: "/k/bzImage", Initrd: "/k/initrd", Cmdline: "console=ttyS0 quiet", Disk: "/a/web.img", CPUs: 2, MemoryMiB: 512}
	withPorts := base
	withPorts.Ports = []contract.Port{{Host: 8080, Guest: 80, Protocol: "tcp"}, {Host: 5353, Guest: 53, Protocol: "UDP"}, {Host: 2222, Guest: 22}}
	// Only an address the port names opts in to more than loopback.
	withAddresses := base
	withAddresses.Ports = []contract.Port{{Host: 8080, Guest: 80, Protocol: "tcp", Address: "0.0.0.0"}, {Host: 8443, Guest: 443, Address: "192.168.1.10"}, {Host: 9090, Guest: 90, Address: "127.0.0.1"}}
	tap := base
	tap.Net = "tap:tap0"
	none := base
	none.Net = "none"
	comma := base
	comma.Disk = "/a/x,y.img"
	withDisks := base
	withDisks.DataDisks = []runner.DataDisk{{Name: "data", Path: "/a/web.data.ext4"}, {Name: "logs", Path: "/a/l,x.ext4", ReadOnly: true}}
	tests := []struct {
		name    string
		c       config
		want    [][]string // each must appear as adjacent arguments
		notWant []string   // must not appear as an argument
	}{
		{
			name: "microvm tcg",
			c:    config{Machine: Microvm, Accel: AccelTCG, TSCkHz: 2596138, QMP: "/t/qmp.sock", Agent: "/t/agent.sock", Boot: base},
			want: [][]string{
				{"-machine", "microvm"}, {"-accel", "tcg", "-cpu", "max"}, {"-smp", "2"}, {"-m", "512"}, {"-no-reboot"},
				{"-serial", "chardev:console"}, {"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"},
				{"-kernel", "/k/bzImage"}, {"-initrd", "/k/initrd"},
				{"-append", "console=ttyS0 quiet hyper.ip=10.0.2.15/24 hyper.gw=10.0.2.2 hyper.dns=10.0.2.3 tsc_early_khz=2596138 pci=off reboot=t"},
				{"-drive", "file=/a/web.img,format=raw,if=none,id=pod,readonly=on", "-device", "virtio-blk-device,drive=pod"},
				{"-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0"},
				{"-qmp", "unix:/t/qmp.sock,server=on,wait=off"},
				{"-device", "virtio-serial-device", "-chardev", "socket,id=agent,path=/t/agent.sock,server=on,wait=off", "-device", "virtserialport,chardev=agent,name=org.hyper.agent.0"},
			},
		},
		{
			name:    "microvm kvm: no tsc_early_khz",
			c:       config{Machine: Microvm, Accel: AccelKVM, TSCkHz: 2596138, Boot: base},
			want:    [][]string{{"-accel", "kvm", "-cpu", "host"}, {"-append", "console=ttyS0 quiet hyper.ip=10.0.2.15/24 hyper.gw=10.0.2.2 hyper.dns=10.0.2.3 pci=off reboot=t"}},
			notWant: []string{"-qmp", "virtio-serial-device"},
		},
		{
			name: "data disks after the pod's, serial = volume name",
			c:    config{Machine: Q35, Accel: AccelTCG, Boot: withDisks},
			want: [][]string{
				{"-drive", "file=/a/web.img,format=raw,if=none,id=pod,readonly=on", "-device", "virtio-blk-pci,drive=pod",
					"-drive", "file=/a/web.data.ext4,format=raw,if=none,id=data0,cache=writeback", "-device", "virtio-blk-pci,drive=data0,serial=data",
					"-drive", "file=/a/l,,x.ext4,format=raw,if=none,id=data1,cache=writeback,readonly=on", "-device", "virtio-blk-pci,drive=data1,serial=logs"},
			},
		},
		{
			name: "q35 with ports",
			c:    config{Machine: Q35, Accel: AccelTCG, TSCkHz: 1000, Agent: "/t/a,b.sock", Boot: withPorts},
			want: [][]string{
				{"-machine", "q35"}, {"-device", "virtio-blk-pci,drive=pod"},
				{"-device", "virtio-serial-pci", "-chardev", "socket,id=agent,path=/t/a,,b.sock,server=on,wait=off"},
				// Loopback unless asked: hostfwd=tcp::8080 would listen on every interface.
				{"-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.1:5353-:53,hostfwd=tcp:127.0.0.1:2222-:22", "-device", "virtio-net-pci,romfile=,netdev=net0"},
				{"-append", "console=ttyS0 quiet hyper.ip=10.0.2.15/24 hyper.gw=10.0.2.2 hyper.dns=10.0.2.3"},
			},
		},
		{
			name: "ports with addresses",
			c:    config{Machine: Microvm, Accel: AccelTCG, Boot: withAddresses},
			want: [][]string{
				{"-netdev", "user,id=net0,hostfwd=tcp:0.0.0.0:8080-:80,hostfwd=tcp:192.168.1.10:8443-:443,hostfwd=tcp:127.0.0.1:9090-:90"},
			},
		},
		{
			name: "pc with a tap",
			c:    config{Machine: PC, Accel: AccelTCG, Boot: tap},
			want: [][]string{{"-machine", "pc"}, {"-netdev", "tap,id=net0,ifname=tap0,script=no,downscript=no", "-device", "virtio-net-pci,romfile=,netdev=net0"}, {"-append", "console=ttyS0 quiet"}},
		},
		{
			name:    "no network",
			c:       config{Machine: PC, Accel: AccelTCG, Boot: none},
			notWant: []string{"-netdev"},
		},
		{
			name: "comma in a path",
			c:    config{Machine: PC, Accel: AccelTCG, Boot: comma},
			want: [][]string{{"-drive", "file=/a/x,,y.img,format=raw,if=none,id=pod,readonly=on"}},
		},
		{
			name: "defaults: 1 cpu, 256 MiB, console added",
			c:    config{Machine: PC, Accel: AccelTCG, Boot: runner.Boot{Kernel: "k", Net: "none"}},
			want: [][]string{{"-smp", "1"}, {"-m", "256"}, {"-append", "console=ttyS0"}},
		},
	}
	for _, tt := range tests {
		a, err := args(tt.c)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		for _, w := range tt.want {
			if !containsArgs(a, w) {
				t.Errorf("%s: args lack %q:\n%q", tt.name, w, a)
			}
		}
		for _, nw := range tt.notWant {
			for _, x := range a {
				if x == nw {
					t.Errorf("%s: args have %q:\n%q", tt.name, nw, a)
				}
			}
		}
	}
}

// containsArgs reports whether want appears in a as adjacent arguments.
func containsArgs(a, want []string) bool {
	for i := 0; i+len(want) <= len(a); i++ {
		if slices.Equal(a[i:i+len(want)], want) {
			return true
		}
	}
	return false
}
func TestArgsErrors(t *testing.T) {
	base := runner.Boot{Kernel: "k", Net: "none", Ports: []contract.Port{{Host: 80, Guest: 80}}}
	tests := []struct {
		name string
		c    config
		want error
	}{
		{"ports without user networking", config{Machine: Microvm, Accel: AccelTCG, Boot: base}, runner.ErrUnsupported},
		{"bad machine", config{Machine: "virt", Accel: AccelTCG, Boot: runner.Boot{Kernel: "k"}}, runner.ErrUnsupported},
		{"bad accel", config{Machine: PC, Accel: "hvf", Boot: runner.Boot{Kernel: "k"}}, runner.ErrUnsupported},
		{"bad net", config{Machine: PC, Accel: AccelTCG, Boot: runner.Boot{Kernel: "k", Net: "bridge"}}, runner.ErrBadNet},
		{"bad protocol", config{Machine: PC, Accel: AccelTCG, Boot: runner.Boot{Kernel: "k", Ports: []contract.Port{{Host: 1, Guest: 1, Protocol: "sctp"}}}}, runner.ErrUnsupported},
		// QEMU 7.2's slirp refuses "Bad host address" for IPv6.
		{"IPv6 host address", config{Machine: PC, Accel: AccelTCG, Boot: runner.Boot{Kernel: "k", Ports: []contract.Port{{Host: 1, Guest: 1, Address: "::1"}}}}, runner.ErrUnsupported},
		{"IPv4-mapped host address", config{Machine: PC, Accel: AccelTCG, Boot: runner.Boot{Kernel: "k", Ports: []contract.Port{{Host: 1, Guest: 1, Address: "::ffff:127.0.0.1"}}}}, runner.ErrUnsupported},
	}
	for _, tt := range tests {
		if _, err := args(tt.c); !errors.Is(err, tt.want) {
			t.Errorf("%s: args() error %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	got := shellQuote([]string{"qemu", "-append", "console=ttyS0 quiet", "it's", ""})
	want := `qemu -append 'console=ttyS0 quiet' 'it'\''s' ''`
	if got != want {
		t.Errorf("shellQuote = %s, want %s", got, want)
	}
}

func TestCheck(t *testing.T) {
	ports := []contract.Port{{Host: 8080, Guest: 80}}
	tests := []struct {
		name string
		b    runner.Boot
		want error
	}{
		{"no ports", runner.Boot{Net: "none"}, nil},
		{"loopback", runner.Boot{Ports: ports}, nil},
		{"every interface", runner.Boot{Ports: []contract.Port{{Host: 8080, Guest: 80, Address: "0.0.0.0"}}}, nil},
		{"IPv6", runner.Boot{Ports: []contract.Port{{Host: 8080, Guest: 80, Address: "::"}}}, runner.ErrUnsupported},
		{"ports without user networking", runner.Boot{Net: "tap:tap0", Ports: ports}, runner.ErrUnsupported},
	}
	for _, tt := range tests {
		if err := (&Backend{}).Check(tt.b); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: Check = %v, want %v", tt.name, err, tt.want)
		}
	}
}
