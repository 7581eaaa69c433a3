package spec

import "errors"

// Errors from the value parsers (sizes, durations, modes, users, names),
// checked with errors.Is; Load reports them as located diagnostics.
var (
	ErrSize     = errors.New("invalid size")
	ErrDuration = errors.New("invalid duration")
	ErrMode     = errors.New("invalid file mode")
	ErrUser     = errors.New("invalid user")
	ErrName     = errors.New("invalid name")
	ErrHostname = errors.New("invalid hostname")
	ErrPath     = errors.New("invalid path")
	ErrPort     = errors.New("invalid port")
	ErrProtocol = errors.New("invalid protocol")
	ErrAddress  = errors.New("invalid listen address")
	ErrUlimit   = errors.New("invalid ulimit")
	ErrRestart  = errors.New("invalid restart policy")
	ErrPlatform = errors.New("unsupported platform")
)
