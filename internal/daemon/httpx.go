package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
)

// errConflict is a request the pod's state forbids (exec into a stopped
// pod, removing a running one, a name in use); errNoContainer a
// container the pod does not have.
var (
	errConflict    = errors.New("conflict")
	errNoContainer = errors.New("no such container")
)

// conflictf is a 409 with its message.
func conflictf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errConflict, fmt.Sprintf(format, args...))
}

// statusOf is the HTTP status that says what kind of error err is.
func statusOf(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	switch {
	case errors.Is(err, api.ErrBadRequest), errors.Is(err, errAmbiguous):
		return http.StatusBadRequest
	case errors.Is(err, api.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errNotFound), errors.Is(err, errNoContainer):
		return http.StatusNotFound
	case errors.Is(err, errConflict), errors.Is(err, errNoAgent):
		return http.StatusConflict
	}
	switch codeOf(err) {
	case contract.CodeBadRequest:
		return http.StatusBadRequest
	case contract.CodeNotFound:
		return http.StatusNotFound
	case contract.CodeConflict:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// message is err as the user reads it: without the sentinel's own words
// where they only repeat the status.
func message(err error) string {
	msg := err.Error()
	for _, p := range []string{errConflict.Error() + ": ", api.ErrBadRequest.Error() + ": "} {
		if len(msg) > len(p) && msg[:len(p)] == p {
			msg = msg[len(p):]
		}
	}
	return msg
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	writeJSON(w, statusOf(err), api.Error{Message: message(err)})
}
