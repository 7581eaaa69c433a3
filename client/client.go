package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hyperbuild/hyper/api"
)

// The environment variables a client reads besides api.EnvHost.
const (
	// EnvCertPath is a directory with ca.pem (the daemon's CA) and,
	// for client certificates, cert.pem and key.pem.
	EnvCertPath = "HYPER_CERT_PATH"
	// EnvToken is the bearer token a TCP daemon asks for.
	EnvToken = "HYPER_TOKEN"
)

// Client is a connection to one hyperd. It is safe for concurrent use.
type Client struct {
	host  api.Host
	base  string
	token string
	http  *http.Client
}

type options struct {
	host  string
	tls   *tls.Config
	token string
}

// Option configures New.
type Option func(*options)

// WithHost talks to hyperd at host (unix:///PATH or tcp://HOST:PORT)
// instead of $HYPER_HOST or the default socket.
func WithHost(host string) Option { return func(o *options) { o.host = host } }

// WithTLS sets the TLS configuration for a tcp:// host (default: from
// $HYPER_CERT_PATH).
func WithTLS(c *tls.Config) Option { return func(o *options) { o.tls = c } }

// WithToken sends a bearer token (default: $HYPER_TOKEN).
func WithToken(t string) Option { return func(o *options) { o.token = t } }

// New returns a client of the hyperd at $HYPER_HOST, else at the default
// socket (api.DefaultHost), unless an option says otherwise. It does not
// connect: the first request does.
func New(opts ...Option) (*Client, error) {
	o := options{host: api.DefaultHost(), token: os.Getenv(EnvToken)}
	for _, opt := range opts {
		opt(&o)
	}
	h, err := api.ParseHost(o.host)
	if err != nil {
		return nil, err
	}
	c := &Client{host: h, token: o.token}
	tr := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
	switch h.Network {
	case "unix":
		c.base = "http://hyperd"
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", h.Address)
		}
	case "tcp":
		c.base = "https://" + h.Address
		if o.tls == nil {
			if o.tls, err = tlsFromEnv(); err != nil {
				return nil, err
			}
		}
		tr.TLSClientConfig = o.tls
	}
	c.http = &http.Client{Transport: tr}
	return c, nil
}

// Host is the daemon's address.
func (c *Client) Host() api.Host { return c.host }

// tlsFromEnv reads $HYPER_CERT_PATH's ca.pem, cert.pem and key.pem.
func tlsFromEnv() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	dir := os.Getenv(EnvCertPath)
	if dir == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvCertPath, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: %s holds no PEM certificate", EnvCertPath, filepath.Join(dir, "ca.pem"))
	}
	cfg.RootCAs = pool
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if _, err := os.Stat(cert); err == nil {
		kp, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvCertPath, err)
		}
		cfg.Certificates = []tls.Certificate{kp}
	}
	return cfg, nil
}

// Error is an error the daemon answered.
type Error struct {
	StatusCode int
	Message    string
}

func (e *Error) Error() string { return e.Message }

// IsNotFound reports whether err is the daemon's 404: no such pod or
// container.
func IsNotFound(err error) bool { return statusIs(err, http.StatusNotFound) }

// IsConflict reports whether err is the daemon's 409: the pod's state
// forbids it (not running, still running, a name in use).
func IsConflict(err error) bool { return statusIs(err, http.StatusConflict) }

func statusIs(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == code
}

// ErrUnreachable is a daemon that cannot be reached: nobody listens on
// its socket, or the network fails.
var ErrUnreachable = errors.New("cannot reach hyperd")

// do sends a request and returns the response when it succeeded (2xx or
// 101), else the daemon's error.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body any, hdr http.Header) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	u := c.base + api.Prefix + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w at %s: %w", ErrUnreachable, c.host, err)
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusSwitchingProtocols {
		return resp, nil
	}
	defer resp.Body.Close()
	var e api.Error
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(data, &e) != nil || e.Message == "" {
		e.Message = fmt.Sprintf("%s %s: %s", method, path, resp.Status)
	}
	return nil, &Error{StatusCode: resp.StatusCode, Message: e.Message}
}

// call sends a request and decodes its JSON answer into out (nil: none).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	resp, err := c.do(ctx, method, path, query, body, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding hyperd's answer to %s %s: %w", method, path, err)
	}
	return nil
}

func podPath(id string, rest string) string {
	return "/pods/" + url.PathEscape(id) + rest
}

// Ping checks that hyperd answers.
func (c *Client) Ping(ctx context.Context) error {
	return c.call(ctx, http.MethodGet, "/_ping", nil, nil, nil)
}

// Version is the daemon's version.
func (c *Client) Version(ctx context.Context) (api.VersionResponse, error) {
	var v api.VersionResponse
	return v, c.call(ctx, http.MethodGet, "/version", nil, nil, &v)
}

// Create creates a pod and starts it.
func (c *Client) Create(ctx context.Context, req api.CreateRequest) (api.CreateResponse, error) {
	var out api.CreateResponse
	return out, c.call(ctx, http.MethodPost, "/pods", nil, req, &out)
}

// List lists the running pods, or every pod with all.
func (c *Client) List(ctx context.Context, all bool) ([]api.Pod, error) {
	var q url.Values
	if all {
		q = url.Values{"all": {"1"}}
	}
	var out []api.Pod
	return out, c.call(ctx, http.MethodGet, "/pods", q, nil, &out)
}

// Inspect describes a pod (by name, ID or unique ID prefix).
func (c *Client) Inspect(ctx context.Context, pod string) (api.Pod, error) {
	var out api.Pod
	return out, c.call(ctx, http.MethodGet, podPath(pod, ""), nil, nil, &out)
}

// DefaultTimeout, as Stop's timeout, gives each container its own stop
// timeout.
const DefaultTimeout time.Duration = -1

// Stop stops a pod gracefully and returns once it has stopped: each
// container gets its stop signal, then SIGKILL after timeout (whole
// seconds; DefaultTimeout: each container's own). Stopping a stopped pod
// succeeds.
func (c *Client) Stop(ctx context.Context, pod string, timeout time.Duration) error {
	var q url.Values
	if timeout >= 0 {
		q = url.Values{"t": {strconv.Itoa(int(timeout / time.Second))}}
	}
	return c.call(ctx, http.MethodPost, podPath(pod, "/stop"), q, nil, nil)
}

// Kill ends a pod's VM now.
func (c *Client) Kill(ctx context.Context, pod string) error {
	return c.call(ctx, http.MethodPost, podPath(pod, "/kill"), nil, nil, nil)
}

// Remove removes a stopped pod; with force a running one is killed
// first.
func (c *Client) Remove(ctx context.Context, pod string, force bool) error {
	var q url.Values
	if force {
		q = url.Values{"force": {"1"}}
	}
	return c.call(ctx, http.MethodDelete, podPath(pod, ""), q, nil, nil)
}

// Wait returns once the pod has exited, with its status.
func (c *Client) Wait(ctx context.Context, pod string) (api.WaitResponse, error) {
	var out api.WaitResponse
	return out, c.call(ctx, http.MethodPost, podPath(pod, "/wait"), nil, nil, &out)
}
