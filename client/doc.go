// Package client talks to hyperd's API (docs/api.md): create, list,
// inspect, stop, kill and remove pods, read their logs and events, and
// run processes in them. hyperboot's verbs are built on it; any Go
// program can import it.
//
//	c, err := client.New() // $HYPER_HOST, else the default socket
//	res, err := c.Create(ctx, api.CreateRequest{Artifact: "/abs/web.img"})
//	status, err := c.Exec(ctx, res.ID, api.ExecRequest{ExecRequest: contract.ExecRequest{Args: []string{"true"}}}, client.ExecIO{})
//
// A unix socket is reached as is; TCP only over TLS (HYPER_CERT_PATH
// holds ca.pem, and cert.pem and key.pem for a client certificate) and,
// when the daemon asks for one, with a token (HYPER_TOKEN). Errors from
// the daemon are *Error, with the HTTP status: IsNotFound, IsConflict.
package client
