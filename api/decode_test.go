package api

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDecodeCreate(t *testing.T) {
	tests := []struct {
		body string
		err  string // a part of the error; "" for none
		big  bool   // ErrTooLarge rather than ErrBadRequest
	}{
		{body: `{"artifact":"/a/hello.img"}`},
		{body: `{"artifact":"/a/hello.img","name":"web-1","cpus":2,"memory_mib":128,"ports":[{"host":8080,"guest":80,"protocol":"tcp"}],"auto_remove":true}`},
		{body: `{"pod_file":"/p/pod.hcl","vars":{"image":"oci:/x:1"}}`},
		{body: `{"image":"busybox:1.36"}`},
		{body: ``, err: "empty body"},
		{body: `{`, err: "decoding the JSON body"},
		{body: `[]`, err: "decoding the JSON body"},
		{body: `{"artifact":"/a"} {}`, err: "data after the JSON object"},
		{body: `{"artifact":"/a","nope":1}`, err: `unknown field "nope"`},
		{body: `{}`, err: "exactly one of artifact, pod_file and image (got 0)"},
		{body: `{"artifact":"/a","image":"x"}`, err: "(got 2)"},
		{body: `{"artifact":"a.img"}`, err: "want an absolute path"},
		{body: `{"artifact":"/a","name":"-x"}`, err: `name "-x"`},
		{body: `{"artifact":"/a","name":"a/b"}`, err: `name "a/b"`},
		{body: `{"artifact":"/a","cpus":99}`, err: "cpus: 99 vCPUs"},
		{body: `{"artifact":"/a","memory_mib":1}`, err: "memory_mib: 1 MiB"},
		{body: `{"artifact":"/a","backend":"xen"}`, err: `backend "xen"`},
		{body: `{"artifact":"/a","net":"bridge"}`, err: `net "bridge"`},
		{body: `{"artifact":"/a","ports":[{"host":0,"guest":80}]}`, err: "1..65535"},
		{body: `{"artifact":"/a","ports":[{"host":1,"guest":80,"protocol":"sctp"}]}`, err: `protocol "sctp"`},
		{body: `{"artifact":"/a","ports":[{"host":1,"guest":80,"address":"localhost"}]}`, err: "not an IP address"},
		{body: `{"artifact":"/a","vars":{"x":"y"}}`, err: "vars are for a pod_file"},
		{body: `{"artifact":"/a","volumes":[{"target":"data","source":"/d/data.ext4"},{"target":"/src","source":"/home/me/src","read_only":true}]}`},
		{body: `{"artifact":"/a","volumes":[{"target":"data","source":"data.ext4"}]}`, err: "want an absolute, clean host path"},
		{body: `{"artifact":"/a","volumes":[{"target":"data","source":"/d/../x"}]}`, err: "want an absolute, clean host path"},
		{body: `{"artifact":"/a","volumes":[{"target":"Data","source":"/d"}]}`, err: "want a volume's name"},
		{body: `{"artifact":"/a","volumes":[{"target":"/a/../b","source":"/d"}]}`, err: "clean container path"},
		{body: `{"artifact":"/a","volumes":[{"source":"/d"}]}`, err: "target: want"},
		{body: `{"artifact":"/a","volumes":[{"target":"d","source":"/d","extra":1}]}`, err: `unknown field "extra"`},
		{body: `{"image":"bad ref"}`, err: "not an image reference"},
		{body: `{"artifact":"/` + strings.Repeat("a", MaxBody) + `"}`, big: true, err: "more than"},
	}
	for _, tt := range tests {
		req, err := DecodeCreate(strings.NewReader(tt.body))
		name := tt.body
		if len(name) > 60 {
			name = name[:60] + "..."
		}
		if tt.err == "" {
			if err != nil {
				t.Errorf("DecodeCreate(%s): %v", name, err)
			} else if req == nil {
				t.Errorf("DecodeCreate(%s): nil request", name)
			}
			continue
		}
		want := ErrBadRequest
		if tt.big {
			want = ErrTooLarge
		}
		if err == nil || !errors.Is(err, want) || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("DecodeCreate(%s) = %v; want %v saying %q", name, err, want, tt.err)
		}
	}
}

func TestDecodeExec(t *testing.T) {
	tests := []struct{ body, err string }{
		{body: `{"args":["true"]}`},
		{body: `{"container":"web","args":["sh","-c","id"],"env":["A=1"],"tty":true,"size":{"rows":24,"cols":80},"stdin":true,"user":"1000:1000","workdir":"/tmp"}`},
		{body: `{"args":[]}`, err: "no command"},
		{body: `{"args":["x"],"env":["NOEQUALS"]}`, err: "want KEY=VALUE"},
		{body: `{"args":["x"],"workdir":"rel"}`, err: "absolute path"},
		{body: `{"args":["x"],"container":"a/b"}`, err: "not valid"},
		{body: `{"args":["x"],"user":":"}`, err: "empty user"},
		{body: `{"args":["x"],"op":"exec"}`, err: `unknown field "op"`},
	}
	for _, tt := range tests {
		_, err := DecodeExec(strings.NewReader(tt.body))
		if tt.err == "" {
			if err != nil {
				t.Errorf("DecodeExec(%s): %v", tt.body, err)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("DecodeExec(%s) = %v; want a bad request saying %q", tt.body, err, tt.err)
		}
	}
}

func TestParseLogs(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		query string
		want  LogsQuery
		err   string
	}{
		{query: ""},
		{query: "follow&tail=10&stdout=1&container=web", want: LogsQuery{Container: "web"}},
		{query: "tail=all"},
		{query: "since=10m"},
		{query: "since=2025-01-01T00:00:00Z"},
		{query: "since=1700000000.5"},
		{query: "timestamps=true"},
		{query: "tail=-1", err: `tail "-1"`},
		{query: "tail=x", err: `tail "x"`},
		{query: "follow=maybe", err: `follow="maybe"`},
		{query: "since=yesterday", err: `since "yesterday"`},
		{query: "folow=1", err: `unknown parameter "folow"`},
		{query: "tail=1&tail=2", err: "given 2 times"},
		{query: "container=a%2Fb", err: "not valid"},
	}
	for _, tt := range tests {
		v, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseLogs(v, now)
		if tt.err != "" {
			if err == nil || !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseLogs(%q) = %v; want a bad request saying %q", tt.query, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseLogs(%q): %v", tt.query, err)
			continue
		}
		// What a parsed query says survives Values and back.
		back, err := ParseLogs(got.Values(), now)
		if err != nil || back.Container != got.Container || back.Follow != got.Follow || back.Tail != got.Tail || !back.Since.Equal(got.Since) || back.Stdout != got.Stdout || back.Stderr != got.Stderr {
			t.Errorf("ParseLogs(%q) = %+v; through Values %+v, %v", tt.query, got, back, err)
		}
	}
	q, _ := ParseLogs(url.Values{"since": {"10m"}, "tail": {"3"}, "follow": {""}}, now)
	if !q.Since.Equal(now.Add(-10*time.Minute)) || q.Tail != 3 || !q.Follow {
		t.Errorf("ParseLogs(since=10m&tail=3&follow) = %+v", q)
	}
}

func TestParseStop(t *testing.T) {
	for _, tt := range []struct {
		query string
		want  time.Duration
		ok    bool
		err   string
	}{
		{query: ""},
		{query: "t=0", ok: true},
		{query: "t=15", want: 15 * time.Second, ok: true},
		{query: "t=-1", err: `t "-1"`},
		{query: "t=1.5", err: `t "1.5"`},
		{query: "t=86401", err: "0 to 86400"},
		{query: "timeout=1", err: "unknown parameter"},
	} {
		v, _ := url.ParseQuery(tt.query)
		got, ok, err := ParseStop(v)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseStop(%q) = %v; want an error saying %q", tt.query, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want || ok != tt.ok {
			t.Errorf("ParseStop(%q) = %v, %v, %v; want %v, %v", tt.query, got, ok, err, tt.want, tt.ok)
		}
	}
}

func TestParseHost(t *testing.T) {
	for _, tt := range []struct {
		in, want, err string
	}{
		{in: "unix:///run/hyper/hyperd.sock", want: "unix:///run/hyper/hyperd.sock"},
		{in: "/tmp/x.sock", want: "unix:///tmp/x.sock"},
		{in: "tcp://127.0.0.1:2376", want: "tcp://127.0.0.1:2376"},
		{in: "tcp://[::1]:2376", want: "tcp://[::1]:2376"},
		{in: "unix://rel.sock", err: "absolute socket path"},
		{in: "unix:///" + strings.Repeat("a", 200), err: "at most 107 bytes"},
		{in: "tcp://host", err: "want tcp://HOST:PORT"},
		{in: "tcp://host:0", err: "1..65535"},
		{in: "http://x:1", err: "want unix:///PATH or tcp://HOST:PORT"},
	} {
		h, err := ParseHost(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseHost(%q) = %v, %v; want an error saying %q", tt.in, h, err, tt.err)
			}
			continue
		}
		if err != nil || h.String() != tt.want {
			t.Errorf("ParseHost(%q) = %v, %v; want %s", tt.in, h, err, tt.want)
		}
	}
}

func TestDefaultHost(t *testing.T) {
	t.Setenv(EnvHost, "")
	t.Setenv(EnvRoot, "/x/y")
	if got := DefaultHost(); got != "unix:///x/y/hyperd.sock" {
		t.Errorf("DefaultHost() with HYPER_ROOT=/x/y = %q", got)
	}
	t.Setenv(EnvHost, "tcp://h:1")
	if got := DefaultHost(); got != "tcp://h:1" {
		t.Errorf("DefaultHost() with HYPER_HOST = %q", got)
	}
}
