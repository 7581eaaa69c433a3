package hyperstart

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"testing"
)

func TestDHCPMessage(t *testing.T) {
	mac := []byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}
	m := dhcpMessage(dhcpRequest, 0xdeadbeef, mac, netip.MustParseAddr("10.0.2.15"), netip.MustParseAddr("10.0.2.2"))
	if m[0] != 1 || binary.BigEndian.Uint32(m[4:]) != 0xdeadbeef || binary.BigEndian.Uint16(m[10:]) != 0x8000 {
		t.Errorf("header: op %d xid %#x flags %#x", m[0], binary.BigEndian.Uint32(m[4:]), binary.BigEndian.Uint16(m[10:]))
	}
	if !reflect.DeepEqual(m[28:34], mac) {
		t.Errorf("chaddr = %x", m[28:34])
	}
	opts := m[dhcpHeader:]
	want := []byte{optMsgType, 1, dhcpRequest, optRequested, 4, 10, 0, 2, 15, optServerID, 4, 10, 0, 2, 2, optParamList, 3, optSubnetMask, optRouter, optDNS, optEnd}
	if !reflect.DeepEqual(opts, want) {
		t.Errorf("options = %v, want %v", opts, want)
	}
}

func reply(xid uint32, opts ...byte) []byte {
	b := make([]byte, dhcpHeader)
	b[0] = 2
	binary.BigEndian.PutUint32(b[4:], xid)
	copy(b[16:20], []byte{10, 0, 2, 15})
	binary.BigEndian.PutUint32(b[236:], dhcpMagic)
	return append(b, opts...)
}

func TestParseDHCPReply(t *testing.T) {
	ack := reply(7, optMsgType, 1, dhcpAck, 0, optServerID, 4, 10, 0, 2, 2,
		optSubnetMask, 4, 255, 255, 255, 0, optRouter, 4, 10, 0, 2, 2,
		optDNS, 8, 10, 0, 2, 3, 1, 1, 1, 1, optEnd)
	r, ok := parseDHCPReply(ack, 7)
	if !ok {
		t.Fatal("ack not parsed")
	}
	want := dhcpReply{typ: dhcpAck, yiaddr: netip.MustParseAddr("10.0.2.15"), server: netip.MustParseAddr("10.0.2.2"),
		lease: Lease{Addr: netip.MustParsePrefix("10.0.2.15/24"), Router: netip.MustParseAddr("10.0.2.2"),
			DNS: []netip.Addr{netip.MustParseAddr("10.0.2.3"), netip.MustParseAddr("1.1.1.1")}}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("parsed %+v, want %+v", r, want)
	}
	bad := map[string][]byte{
		"other xid":     ack,
		"truncated opt": reply(7, optMsgType, 1, dhcpAck, optDNS, 8, 1, 2),
		"no type":       reply(7, optEnd),
		"short":         ack[:100],
	}
	for name, b := range bad {
		xid := uint32(7)
		if name == "other xid" {
			xid = 8
		}
		if _, ok := parseDHCPReply(b, xid); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestIsPowerPress(t *testing.T) {
	ev := func(typ, code uint16, value int32) []byte {
		b := make([]byte, inputEventSize)
		binary.NativeEndian.PutUint16(b[16:], typ)
		binary.NativeEndian.PutUint16(b[18:], code)
		binary.NativeEndian.PutUint32(b[20:], uint32(value))
		return b
	}
	if !IsPowerPress(ev(evKey, keyPower, 1)) {
		t.Error("power key down not recognised")
	}
	for _, b := range [][]byte{ev(evKey, keyPower, 0), ev(0, 0, 0), ev(evKey, 30, 1), ev(evKey, keyPower, 1)[:10]} {
		if IsPowerPress(b) {
			t.Errorf("IsPowerPress(%x) = true", b)
		}
	}
}
