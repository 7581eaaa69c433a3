package agent

import (
	"errors"
	"strings"
	"unicode"

	"github.com/hyperbuild/hyper/contract"
)

// Errors callers can check with errors.Is.
var (
	// ErrClosed: the connection to the guest is gone (the VM stopped,
	// or Close was called).
	ErrClosed = errors.New("agent connection closed")
	// ErrProtocol: the guest broke the protocol (an unexpected or
	// malformed frame, a stream that ended early). It wraps
	// contract.ErrFrame when a frame itself was malformed.
	ErrProtocol = errors.New("agent protocol error")
	// ErrVersion: the guest's agent speaks another protocol version.
	ErrVersion = errors.New("agent protocol version mismatch")
)

// Error is an error the guest's agent replied with (or, with
// CodeBadRequest, a request this client refused before sending it).
type Error struct {
	Code    contract.ErrorCode
	Message string
}

func (e *Error) Error() string { return e.Message }

// maxMessage bounds an error message from the guest as this client
// shows it.
const maxMessage = 1024

// replyError is the *Error a reply carries, or nil. An unknown or
// missing code is CodeInternal; the message is bounded and stripped of
// control characters, since the guest is not trusted to write to a
// user's terminal.
func replyError(r *contract.Reply) error {
	if r.Error == "" && r.Code == "" {
		return nil
	}
	e := &Error{Code: r.Code, Message: clean(r.Error)}
	switch e.Code {
	case contract.CodeBadRequest, contract.CodeNotFound, contract.CodeConflict, contract.CodeInternal:
	default:
		e.Code = contract.CodeInternal
	}
	if e.Message == "" {
		e.Message = "the guest's agent failed (" + string(e.Code) + ")"
	}
	return e
}

// clean bounds s and replaces its control characters.
func clean(s string) string {
	if len(s) > maxMessage {
		s = s[:maxMessage] + "…"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}

// badRequest is a request refused before it was sent.
func badRequest(err error) error {
	return &Error{Code: contract.CodeBadRequest, Message: err.Error()}
}
