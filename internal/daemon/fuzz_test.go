package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/api"
)

// FuzzAPI sends whatever the fuzzer makes up to the API's every route:
// the answer is never a 500 (nothing reaches a runtime here: the one pod
// has stopped, creates fail on the artifact), and every error is a JSON
// {"message"}.
func FuzzAPI(f *testing.F) {
	root, err := os.MkdirTemp("", "hyd-fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(root) })
	id := newID()
	dir := podDir(root, id)
	os.MkdirAll(dir, 0o700)
	writeFile(filepath.Join(dir, configFile), podConfig{ID: id, Name: "done", Containers: []string{"c"}, Created: time.Now()})
	st := 0
	writeFile(filepath.Join(dir, stateFile), podState{State: api.StateExited, ExitStatus: &st})
	d := &Daemon{
		Root: root,
		Manifest: func(string) (string, []string, error) {
			return "", nil, api.ErrBadRequest
		},
		// No builds (no registry) while fuzzing.
		Build: func(context.Context, *api.CreateRequest, string) (string, []string, error) {
			return "", nil, api.ErrBadRequest
		},
	}
	h := d.Handler()
	routes := []struct{ method, path string }{
		{"GET", "/v1/pods"}, {"POST", "/v1/pods"}, {"GET", "/v1/pods/%s"}, {"DELETE", "/v1/pods/%s"},
		{"POST", "/v1/pods/%s/stop"}, {"POST", "/v1/pods/%s/kill"}, {"POST", "/v1/pods/%s/wait"},
		{"GET", "/v1/pods/%s/logs"}, {"GET", "/v1/pods/%s/events"}, {"POST", "/v1/pods/%s/exec"},
		{"GET", "/v1/version"}, {"PUT", "/v1/pods/%s"},
	}
	f.Add(uint8(1), "", "", []byte(`{"artifact":"/x.img"}`))
	f.Add(uint8(2), "done", "", []byte{})
	f.Add(uint8(7), "done", "follow&tail=2&container=c", []byte{})
	f.Add(uint8(9), "done", "", []byte(`{"args":["sh"]}`))
	f.Add(uint8(3), "do", "force=1", []byte{})
	f.Add(uint8(0), "", "all=1", []byte{})
	f.Fuzz(func(t *testing.T, route uint8, ref, query string, body []byte) {
		r := routes[int(route)%len(routes)]
		if r.method == "DELETE" && !strings.Contains(query, "=") {
			return // removing the one pod would leave nothing to fuzz
		}
		path := r.path
		if strings.Contains(path, "%s") {
			path = strings.Replace(path, "%s", url.PathEscape(ref), 1)
		}
		u := path
		if query != "" {
			u += "?" + query
		}
		req, err := http.NewRequest(r.method, "http://hyperd"+u, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", api.ExecUpgrade)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s with %q: %d %s", r.method, u, body, w.Code, w.Body)
		}
		if w.Code >= 400 {
			var e api.Error
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Message == "" {
				t.Fatalf("%s %s: %d with a body that is not an error: %q", r.method, u, w.Code, w.Body)
			}
		}
	})
}
