package spec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/spec")

const specData = "../testdata/spec"

// podFiles lists the pod files of a testdata directory.
func podFiles(t testing.TB, dir string) []string {
	var out []string
	for _, pat := range []string{"*.hcl", "*.json"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !strings.HasSuffix(f, ".golden.json") {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no pod files in %s", dir)
	}
	// NAME.hcl and NAME.json would share NAME.golden.*.
	seen := map[string]string{}
	for _, f := range out {
		stem := strings.TrimSuffix(f, filepath.Ext(f))
		if prev, dup := seen[stem]; dup {
			t.Fatalf("%s and %s would share a golden file; rename one", prev, f)
		}
		seen[stem] = f
	}
	return out
}

// argsFor reads NAME.args next to a pod file: one flag per line,
// "-var k=v" or "-var-file PATH", as hyperbuild takes them.
func argsFor(t *testing.T, podFile string) []Option {
	f, err := os.Open(strings.TrimSuffix(podFile, filepath.Ext(podFile)) + ".args")
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	var opts []Option
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		flagName, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch flagName {
		case "-var":
			k, v, _ := strings.Cut(arg, "=")
			vars[k] = v
		case "-var-file":
			opts = append(opts, WithVarFiles(arg))
		case "":
		default:
			t.Fatalf("%s.args: unknown flag %q", podFile, flagName)
		}
	}
	return append(opts, WithVars(vars))
}

// loadGolden loads a pod file from within its directory, so that names
// in diagnostics are relative, and writes the absolute path of
// testdata/spec as $SPECDATA in what it returns, so that goldens do not
// depend on where the repository is.
func loadGolden(t *testing.T, path string) (podJSON, diagText string, diags hcl.Diagnostics) {
	root, err := filepath.Abs(specData)
	if err != nil {
		t.Fatal(err)
	}
	dir, name := filepath.Split(path)
	t.Chdir(dir)
	l := NewLoader(argsFor(t, name)...)
	pod, diags := l.Load(name)
	var buf bytes.Buffer
	if err := l.WriteDiagnostics(&buf, diags, false); err != nil {
		t.Fatal(err)
	}
	if pod != nil {
		b, err := json.MarshalIndent(pod, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		podJSON = string(b) + "\n"
	}
	clean := func(s string) string {
		s = strings.ReplaceAll(s, root, "$SPECDATA")
		if repo := filepath.Dir(filepath.Dir(root)); strings.Contains(s, repo) {
			t.Errorf("output holds the absolute path %s:\n%s", repo, s)
		}
		return s
	}
	return clean(podJSON), clean(buf.String()), diags
}

func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./spec -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./spec -update rewrites it)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

func goldenName(path, suffix string) string {
	abs, _ := filepath.Abs(strings.TrimSuffix(path, filepath.Ext(path)) + suffix)
	return abs
}

// TestGood loads every testdata/spec/good file and compares the
// normalised contract with NAME.golden.json.
func TestGood(t *testing.T) {
	for _, path := range podFiles(t, filepath.Join(specData, "good")) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			golden := goldenName(path, ".golden.json")
			got, diags, _ := loadGolden(t, path)
			if got == "" {
				t.Fatalf("rejected:\n%s", diags)
			}
			checkGolden(t, golden, got)
			// Good files are good without their flags too, so that
			// hyperbuild validate accepts each as it is.
			if _, diags := NewLoader().Load(filepath.Base(path)); diags.HasErrors() {
				t.Errorf("rejected without its .args: %s", diags.Error())
			}
		})
	}
}

// TestBad loads every testdata/spec/bad file, which must be rejected
// with located diagnostics, and compares them with NAME.golden.txt.
// Files in bad-vars are bad only with the flags in their NAME.args; those
// in bad are bad on their own (hyperbuild validate rejects each).
func TestBad(t *testing.T) {
	for _, dir := range []string{"bad", "bad-vars"} {
		for _, path := range podFiles(t, filepath.Join(specData, dir)) {
			t.Run(dir+"/"+filepath.Base(path), func(t *testing.T) {
				testBad(t, path, dir == "bad-vars")
			})
		}
	}
}

func testBad(t *testing.T, path string, withArgs bool) {
	args := strings.TrimSuffix(path, filepath.Ext(path)) + ".args"
	if _, err := os.Stat(args); (err == nil) != withArgs {
		t.Fatalf("%s: files with flags belong in bad-vars, and only they", path)
	}
	golden := goldenName(path, ".golden.txt")
	pod, text, diags := loadGolden(t, path)
	if pod != "" {
		t.Fatalf("accepted:\n%s", pod)
	}
	if !diags.HasErrors() {
		t.Fatalf("no error diagnostic:\n%s", text)
	}
	// Every diagnostic about the file points into it; only those about
	// -var flags, which have no source, go without.
	for _, d := range diags {
		if d.Subject == nil && !strings.HasPrefix(d.Detail, "-var") {
			t.Errorf("diagnostic without a location: %s: %s", d.Summary, d.Detail)
		}
	}
	checkGolden(t, golden, text)
}
