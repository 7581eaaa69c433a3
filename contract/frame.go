package contract

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrFrame is a malformed frame: an unknown type or a payload over
// MaxFrame. The stream cannot be trusted after it.
var ErrFrame = errors.New("malformed agent frame")

// frameHeader is a frame's type (1 byte) and payload length (4 bytes,
// big-endian).
const frameHeader = 5

// WriteFrame writes one frame. Payloads over MaxFrame are refused; split
// stdio bytes with WriteData.
func WriteFrame(w io.Writer, t FrameType, payload []byte) error {
	if len(payload) > MaxFrame {
		return fmt.Errorf("%w: %d-byte payload, at most %d", ErrFrame, len(payload), MaxFrame)
	}
	b := make([]byte, frameHeader+len(payload))
	b[0] = byte(t)
	binary.BigEndian.PutUint32(b[1:frameHeader], uint32(len(payload)))
	copy(b[frameHeader:], payload)
	_, err := w.Write(b)
	return err
}

// WriteData writes p as frames of type t, each at most MaxFrame bytes; an
// empty p is one empty frame (FrameStdin's end of input).
func WriteData(w io.Writer, t FrameType, p []byte) error {
	for {
		n := min(len(p), MaxFrame)
		if err := WriteFrame(w, t, p[:n]); err != nil {
			return err
		}
		p = p[n:]
		if len(p) == 0 {
			return nil
		}
	}
}

// WriteJSON writes v as one JSON frame of type t.
func WriteJSON(w io.Writer, t FrameType, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding frame %d: %w", t, err)
	}
	return WriteFrame(w, t, b)
}

// ReadFrame reads one frame. It never allocates more than MaxFrame for a
// payload, whatever the header says; io.EOF means the stream ended
// cleanly between frames.
func ReadFrame(r io.Reader) (FrameType, []byte, error) {
	var h [frameHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("%w: cut short in its header", ErrFrame)
		}
		return 0, nil, err
	}
	t := FrameType(h[0])
	n := binary.BigEndian.Uint32(h[1:])
	if !t.Valid() {
		return 0, nil, fmt.Errorf("%w: type %d", ErrFrame, h[0])
	}
	if n > MaxFrame {
		return 0, nil, fmt.Errorf("%w: %d-byte payload, at most %d", ErrFrame, n, MaxFrame)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, nil, fmt.Errorf("%w: payload cut short: %w", ErrFrame, err)
	}
	return t, p, nil
}

// DecodeJSON decodes a frame's JSON payload into v, refusing unknown
// fields and trailing data.
func DecodeJSON(payload []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(payload))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrFrame, err)
	}
	if d.More() {
		return fmt.Errorf("%w: data after the JSON value", ErrFrame)
	}
	return nil
}

// ReadRequest reads and checks a stream's first frame.
func ReadRequest(r io.Reader) (*Request, error) {
	t, p, err := ReadFrame(r)
	if err != nil {
		return nil, err
	}
	if t != FrameRequest {
		return nil, fmt.Errorf("%w: a stream starts with a request, not frame type %d", ErrFrame, t)
	}
	var req Request
	if err := DecodeJSON(p, &req); err != nil {
		return nil, err
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	return &req, nil
}

// FrameWriter writes whole frames from several goroutines (an exec's
// stdout and stderr pumps, its exit status). After the first failed write
// every write fails with that error: a stream cut mid-frame cannot be
// written again.
type FrameWriter struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

// NewFrameWriter writes frames to w.
func NewFrameWriter(w io.Writer) *FrameWriter { return &FrameWriter{w: w} }

// Data writes p as frames of type t (WriteData).
func (f *FrameWriter) Data(t FrameType, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = WriteData(f.w, t, p)
	}
	return f.err
}

// JSON writes v as one frame of type t (WriteJSON).
func (f *FrameWriter) JSON(t FrameType, v any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = WriteJSON(f.w, t, v)
	}
	return f.err
}

// Stream is an io.Writer whose every non-empty Write is sent as frames of
// type t.
func (f *FrameWriter) Stream(t FrameType) io.Writer { return frameStream{f, t} }

type frameStream struct {
	f *FrameWriter
	t FrameType
}

func (s frameStream) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if err := s.f.Data(s.t, p); err != nil {
		return 0, err
	}
	return len(p), nil
}
