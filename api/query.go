package api

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// MaxStopTimeout bounds stop's ?t=.
const MaxStopTimeout = 24 * time.Hour

// LogsQuery is what GET /v1/pods/{id}/logs selects.
type LogsQuery struct {
	// Container picks one container's lines; empty: every container's.
	Container string
	contract.LogsRequest
}

// Values is q as query parameters, the inverse of ParseLogs.
func (q LogsQuery) Values() url.Values {
	v := url.Values{}
	if q.Container != "" {
		v.Set("container", q.Container)
	}
	if q.Follow {
		v.Set("follow", "1")
	}
	if q.Tail > 0 {
		v.Set("tail", strconv.Itoa(q.Tail))
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if q.Stdout {
		v.Set("stdout", "1")
	}
	if q.Stderr {
		v.Set("stderr", "1")
	}
	return v
}

// ParseLogs reads logs' query: container, follow, tail (a count or
// "all"), since (RFC 3339, Unix seconds, or a duration before now such
// as 10m), stdout, stderr. Unknown parameters are refused, so that a
// typo is not silently ignored.
func ParseLogs(v url.Values, now time.Time) (LogsQuery, error) {
	var q LogsQuery
	if err := known(v, "container", "follow", "tail", "since", "stdout", "stderr", "timestamps"); err != nil {
		return q, err
	}
	var err error
	q.Container = v.Get("container")
	if len(q.Container) > 255 || strings.ContainsAny(q.Container, "/\x00") {
		return q, fmt.Errorf("%w: container name %q is not valid", ErrBadRequest, q.Container)
	}
	if q.Follow, err = boolParam(v, "follow"); err != nil {
		return q, err
	}
	if q.Stdout, err = boolParam(v, "stdout"); err != nil {
		return q, err
	}
	if q.Stderr, err = boolParam(v, "stderr"); err != nil {
		return q, err
	}
	if _, err = boolParam(v, "timestamps"); err != nil {
		return q, err
	}
	if s := v.Get("tail"); s != "" && s != "all" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, fmt.Errorf("%w: tail %q: want a count (0 or more) or all", ErrBadRequest, s)
		}
		q.Tail = n
	}
	if s := v.Get("since"); s != "" {
		t, err := ParseSince(s, now)
		if err != nil {
			return q, err
		}
		q.Since = t
	}
	return q, nil
}

// ParseSince reads a point in time: RFC 3339, Unix seconds (with a
// fraction), or a duration before now ("10m", "1h30m").
func ParseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1<<40 {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
	}
	return time.Time{}, fmt.Errorf("%w: since %q: want an RFC 3339 time, Unix seconds or a duration such as 10m", ErrBadRequest, s)
}

// ParseStop reads stop's ?t=: whole seconds from the stop signal to
// SIGKILL. ok is false when t is absent (each container's own stop
// timeout then).
func ParseStop(v url.Values) (d time.Duration, ok bool, err error) {
	if err := known(v, "t"); err != nil {
		return 0, false, err
	}
	s := v.Get("t")
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || time.Duration(n)*time.Second > MaxStopTimeout {
		return 0, false, fmt.Errorf("%w: t %q: want whole seconds, 0 to %d", ErrBadRequest, s, int(MaxStopTimeout/time.Second))
	}
	return time.Duration(n) * time.Second, true, nil
}

// ParseRemove reads remove's ?force=.
func ParseRemove(v url.Values) (force bool, err error) {
	if err := known(v, "force"); err != nil {
		return false, err
	}
	return boolParam(v, "force")
}

// ParseList reads list's ?all=.
func ParseList(v url.Values) (all bool, err error) {
	if err := known(v, "all"); err != nil {
		return false, err
	}
	return boolParam(v, "all")
}

// ParseNone refuses any query parameter, for the endpoints that take none.
func ParseNone(v url.Values) error { return known(v) }

func known(v url.Values, names ...string) error {
	for k, vs := range v {
		ok := false
		for _, n := range names {
			ok = ok || k == n
		}
		if !ok {
			if len(names) == 0 {
				return fmt.Errorf("%w: unknown parameter %q: this endpoint takes none", ErrBadRequest, k)
			}
			return fmt.Errorf("%w: unknown parameter %q (want %s)", ErrBadRequest, k, strings.Join(names, ", "))
		}
		if len(vs) > 1 {
			return fmt.Errorf("%w: parameter %q given %d times", ErrBadRequest, k, len(vs))
		}
	}
	return nil
}

// boolParam reads a flag parameter: absent is false; "", 1, true are
// true; 0, false are false.
func boolParam(v url.Values, name string) (bool, error) {
	vs, ok := v[name]
	if !ok {
		return false, nil
	}
	switch strings.ToLower(vs[0]) {
	case "", "1", "true", "yes":
		return true, nil
	case "0", "false", "no":
		return false, nil
	}
	return false, fmt.Errorf("%w: %s=%q: want 1/true or 0/false", ErrBadRequest, name, vs[0])
}
