// Command hyperd is hyper's daemon: it serves the REST API (docs/api.md)
// on a unix socket and runs each pod under its own supervisor, `hyperd
// shim`, so that pods outlive a restart of the daemon.
//
//	hyperd                      # $HYPER_ROOT, else /run/hyper (root) or $XDG_RUNTIME_DIR/hyper
//	hyperd --host tcp://0.0.0.0:2376 --tlscert s.pem --tlskey s.key --tlscacert ca.pem
//
// hyperboot's verbs (run, ps, logs, exec, stop, kill, rm, inspect) start
// it on demand; contrib/systemd holds units for a system-wide one.
package main
