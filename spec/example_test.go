package spec_test

import (
	"fmt"
	"os"

	"github.com/hyperbuild/hyper/spec"
)

func ExampleLoader_Load() {
	l := spec.NewLoader(spec.WithVars(map[string]string{"status": "0"}))
	pod, diags := l.Load("../examples/hello.hcl")
	if diags.HasErrors() {
		l.WriteDiagnostics(os.Stderr, diags, false)
		return
	}
	c := pod.Containers[0]
	fmt.Println(pod.Name, pod.Resources.CPUs, pod.Resources.MemoryMiB)
	fmt.Println(c.Image)
	fmt.Printf("%q\n", c.Command)
	// Output:
	// hello 1 256
	// docker://index.docker.io/library/busybox:1.36
	// ["sh" "-c" "echo hello from hyper; exit 0"]
}

func ExampleLoader_WriteDiagnostics() {
	dir, _ := os.MkdirTemp("", "spec")
	defer os.RemoveAll(dir)
	os.WriteFile(dir+"/pod.hcl", []byte("pod \"p\" {\n  container \"c\" {\n    image   = \"busybox\"\n    restart = \"on-falure\"\n  }\n}\n"), 0o644)
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir) // so that the diagnostic names pod.hcl, not a temporary path
	l := spec.NewLoader()
	_, diags := l.Load("pod.hcl")
	l.WriteDiagnostics(os.Stdout, diags, false)
	// Output:
	// pod.hcl:4:15: error: Invalid restart policy
	//
	//   on pod.hcl line 4, in pod "p":
	//    4:     restart = "on-falure"
	//
	// Invalid restart policy "on-falure": use one of never, on-failure, always; did you mean "on-failure"?
}
