package hyperstart

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const testPasswd = `root:x:0:0:root:/root:/bin/sh
# a comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
broken line
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
app:x:1000:1000::/home/app:/bin/sh
`

const testGroup = `root:x:0:
daemon:x:1:
www-data:x:33:app
app:x:1000:
audio:x:29:app,www-data
staff:x:50:
`

func TestResolveUser(t *testing.T) {
	tests := []struct {
		spec string
		want User
	}{
		{"", User{UID: 0, GID: 0, Groups: []uint32{0}, Home: "/root"}},
		{"root", User{UID: 0, GID: 0, Groups: []uint32{0}, Home: "/root"}},
		{"app", User{UID: 1000, GID: 1000, Groups: []uint32{1000, 33, 29}, Home: "/home/app"}},
		{"1000", User{UID: 1000, GID: 1000, Groups: []uint32{1000, 33, 29}, Home: "/home/app"}},
		{"www-data", User{UID: 33, GID: 33, Groups: []uint32{33, 29}, Home: "/var/www"}},
		{"1000:50", User{UID: 1000, GID: 50, Groups: []uint32{50, 33, 29}, Home: "/home/app"}},
		{"app:staff", User{UID: 1000, GID: 50, Groups: []uint32{50, 33, 29}, Home: "/home/app"}},
		{"4242", User{UID: 4242, GID: 0, Groups: []uint32{0}, Home: "/"}},
		{"4242:4243", User{UID: 4242, GID: 4243, Groups: []uint32{4243}, Home: "/"}},
		{":50", User{UID: 0, GID: 50, Groups: []uint32{50}, Home: "/root"}},
	}
	for _, tt := range tests {
		got, err := ResolveUser(tt.spec, strings.NewReader(testPasswd), strings.NewReader(testGroup))
		if err != nil {
			t.Errorf("ResolveUser(%q): %v", tt.spec, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ResolveUser(%q) = %+v, want %+v", tt.spec, got, tt.want)
		}
	}
}

func TestResolveUserErrors(t *testing.T) {
	for _, spec := range []string{"nobody", "app:nogroup", "bin:0"} {
		_, err := ResolveUser(spec, strings.NewReader(testPasswd), strings.NewReader(testGroup))
		if !errors.Is(err, ErrNoUser) {
			t.Errorf("ResolveUser(%q) = %v, want ErrNoUser", spec, err)
		}
	}
}

func TestResolveUserNoFiles(t *testing.T) {
	got, err := ResolveUser("1000:1000", nil, nil)
	want := User{UID: 1000, GID: 1000, Groups: []uint32{1000}, Home: "/"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ResolveUser without files = %+v, %v; want %+v", got, err, want)
	}
	if _, err := ResolveUser("app", nil, nil); !errors.Is(err, ErrNoUser) {
		t.Errorf("ResolveUser(app) without passwd = %v, want ErrNoUser", err)
	}
}
