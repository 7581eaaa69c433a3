package layers

import (
	"errors"
	"reflect"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hyperbuild/hyper/contract"
)

func TestMerge(t *testing.T) {
	image := &v1.ConfigFile{Config: v1.Config{
		Entrypoint: []string{"/entry"}, Cmd: []string{"--serve"},
		Env:        []string{"PATH=/bin", "A=image", "B=image"},
		WorkingDir: "/srv", User: "app", StopSignal: "SIGQUIT",
		ExposedPorts: map[string]struct{}{"80/tcp": {}, "443/tcp": {}},
	}}
	tests := []struct {
		name  string
		c     contract.Container
		cfg   *v1.ConfigFile
		want  contract.Process
		error error
	}{
		{
			name: "image only",
			cfg:  image,
			want: contract.Process{Args: []string{"/entry", "--serve"}, Env: []string{"PATH=/bin", "A=image", "B=image"},
				Workdir: "/srv", User: "app", StopSignal: "SIGQUIT", ExposedPorts: []string{"443/tcp", "80/tcp"}},
		},
		{
			name: "entrypoint clears cmd; spec wins",
			c: contract.Container{Entrypoint: []string{"/other"}, Env: map[string]string{"B": "spec", "C": "spec"},
				Workdir: "/w", User: "0:0", StopSignal: "int"},
			cfg: image,
			want: contract.Process{Args: []string{"/other"}, Env: []string{"PATH=/bin", "A=image", "B=spec", "C=spec"},
				Workdir: "/w", User: "0:0", StopSignal: "SIGINT", ExposedPorts: []string{"443/tcp", "80/tcp"}},
		},
		{
			name: "command replaces cmd",
			c:    contract.Container{Command: []string{"--debug"}},
			cfg:  image,
			want: contract.Process{Args: []string{"/entry", "--debug"}, Env: []string{"PATH=/bin", "A=image", "B=image"},
				Workdir: "/srv", User: "app", StopSignal: "SIGQUIT", ExposedPorts: []string{"443/tcp", "80/tcp"}},
		},
		{
			name: "both, with an empty entrypoint",
			c:    contract.Container{Entrypoint: []string{}, Command: []string{"sh", "-c", "x"}},
			cfg:  image,
			want: contract.Process{Args: []string{"sh", "-c", "x"}, Env: []string{"PATH=/bin", "A=image", "B=image"},
				Workdir: "/srv", User: "app", StopSignal: "SIGQUIT", ExposedPorts: []string{"443/tcp", "80/tcp"}},
		},
		{
			name: "defaults",
			c:    contract.Container{Command: []string{"/app"}},
			want: contract.Process{Args: []string{"/app"}, Env: []string{"PATH=" + DefaultPath}, Workdir: "/", StopSignal: "SIGTERM"},
		},
		{name: "nothing to run", c: contract.Container{Name: "x"}, error: ErrNoCommand},
		{name: "bad signal", c: contract.Container{Command: []string{"/a"}, StopSignal: "SIGNOPE"}, error: errors.New("any")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Merge(tt.c, tt.cfg)
			if tt.error != nil {
				if err == nil || (errors.Is(tt.error, ErrNoCommand) && !errors.Is(err, ErrNoCommand)) {
					t.Fatalf("err = %v, want %v", err, tt.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestFilesFor(t *testing.T) {
	files := []contract.File{{Path: "/a", Container: "web"}, {Path: "/b", Container: "db"}, {Path: "/c", Container: "web"}}
	got := FilesFor(files, "web")
	if len(got) != 2 || got[0].Path != "/a" || got[1].Path != "/c" {
		t.Errorf("FilesFor(web) = %+v", got)
	}
}
