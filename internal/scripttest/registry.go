package scripttest

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/rogpeppe/go-internal/testscript"
)

func registryCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		// registry VAR: start an in-process OCI registry on 127.0.0.1
		// (plain HTTP, which hyper allows for loopback) for the rest of
		// the script, and set $VAR to its host:port.
		"registry": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 1 {
				ts.Fatalf("usage: registry VAR")
			}
			srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
			ts.Defer(srv.Close)
			ts.Setenv(args[0], strings.TrimPrefix(srv.URL, "http://"))
		},
	}
}
