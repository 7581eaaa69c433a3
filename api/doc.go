// Package api is hyperd's REST API on the wire: the paths, the JSON
// bodies, the query parameters and the checks every request passes
// before hyperd acts on it. The daemon (cmd/hyperd) and the client
// (package client) both use it, so the two cannot drift apart.
//
// Every path starts with Prefix (/v1). Bodies are JSON; an error is
// Error ({"message": ...}) with the HTTP status that says what kind:
// 400 a bad request, 404 no such pod or container, 409 a pod in the wrong
// state or a name in use, 413 a body over MaxBody, 500 hyperd or the pod
// failed. Logs and events stream as newline-delimited JSON; exec upgrades
// the connection and carries contract's agent frames both ways. The
// decoders (DecodeCreate, DecodeExec, ParseLogs, ParseStop, ...) refuse
// unknown fields, trailing data and values out of bounds; docs/api.md
// documents each endpoint.
package api
