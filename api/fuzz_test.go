package api

import (
	"bytes"
	"errors"
	"net/url"
	"testing"
	"time"
)

// The daemon decodes every request body and query with these: whatever
// the input, they return a checked request or an error that is a 400 or
// a 413, never panic, and a request they accept passes its own checks
// again.
func FuzzDecodeCreate(f *testing.F) {
	for _, s := range []string{
		`{"artifact":"/a/hello.img"}`,
		`{"pod_file":"/p/pod.hcl","vars":{"image":"oci:/x:1"},"name":"a","cpus":2,"memory_mib":128}`,
		`{"image":"busybox","ports":[{"host":8080,"guest":80,"protocol":"udp","address":"::1"}],"net":"tap:t0"}`,
		`{"artifact":"/a"} x`, `{"artifact":1}`, `null`,
		`{"artifact":"/a","volumes":[{"target":"data","source":"/d.ext4"},{"target":"/src","source":"/s","read_only":true}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeCreate(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrBadRequest) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("DecodeCreate: an error that is neither 400 nor 413: %v", err)
			}
			return
		}
		if err := req.Check(); err != nil {
			t.Fatalf("DecodeCreate accepted a request that fails Check: %v", err)
		}
	})
}

func FuzzDecodeExec(f *testing.F) {
	for _, s := range []string{
		`{"args":["true"]}`,
		`{"container":"web","args":["sh","-c","id"],"env":["A=1"],"tty":true,"size":{"rows":24,"cols":80},"stdin":true,"user":"1000:1000","workdir":"/tmp"}`,
		`{"args":["\u0000"]}`, `{"args":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeExec(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrBadRequest) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("DecodeExec: an error that is neither 400 nor 413: %v", err)
			}
			return
		}
		if len(req.Args) == 0 || req.Args[0] == "" {
			t.Fatalf("DecodeExec accepted a request without a command: %+v", req)
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"follow&tail=10&since=10m&container=web", "t=10", "force=1", "all=true", "since=1700000000.5", "tail=all&stderr=0"} {
		f.Add(s)
	}
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, e := range []error{
			func() error { _, err := ParseLogs(v, now); return err }(),
			func() error { _, _, err := ParseStop(v); return err }(),
			func() error { _, err := ParseRemove(v); return err }(),
			func() error { _, err := ParseList(v); return err }(),
		} {
			if e != nil && !errors.Is(e, ErrBadRequest) {
				t.Fatalf("query %q: an error that is not a 400: %v", raw, e)
			}
		}
		if q, err := ParseLogs(v, now); err == nil {
			if q.Tail < 0 {
				t.Fatalf("query %q: tail %d", raw, q.Tail)
			}
			if _, err := ParseLogs(q.Values(), now); err != nil {
				t.Fatalf("query %q: its own Values do not parse: %v", raw, err)
			}
		}
	})
}
