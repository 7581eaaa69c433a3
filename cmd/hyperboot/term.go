package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/contract"
)

// terminalFd is w's file descriptor when it is a terminal.
func terminalFd(v any) (int, bool) {
	f, ok := v.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return fd, err == nil
}

// makeRaw puts a terminal in raw mode (cfmakeraw: every byte as typed,
// Ctrl-C included, goes to the process in the pod) and returns what puts
// it back.
func makeRaw(fd int) (restore func(), err error) {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	raw := *old
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Oflag &^= unix.OPOST
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, err
	}
	return func() { unix.IoctlSetTermios(fd, unix.TCSETS, old) }, nil
}

// windowSize is the terminal's size, when one of ws is a terminal.
func windowSize(ws ...any) (contract.WindowSize, bool) {
	for _, w := range ws {
		if fd, ok := terminalFd(w); ok {
			if sz, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ); err == nil && sz.Row > 0 {
				return contract.WindowSize{Rows: sz.Row, Cols: sz.Col}, true
			}
		}
	}
	return contract.WindowSize{}, false
}

var _ io.Writer = (*os.File)(nil)
