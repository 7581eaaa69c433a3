package daemon

import (
	"sync"

	"github.com/hyperbuild/hyper/contract"
)

// broadcaster hands each event to every subscriber. Events are few; a
// subscriber that falls eventsBuffer behind is dropped (its stream ends)
// rather than slowing the pod down.
type broadcaster struct {
	mu     sync.Mutex
	subs   map[chan contract.Event]struct{}
	closed bool
}

const eventsBuffer = 256

func newBroadcaster() *broadcaster {
	return &broadcaster{subs: map[chan contract.Event]struct{}{}}
}

// Subscribe returns a channel of the events from now on, closed when the
// broadcaster closes or the subscriber fell behind; cancel unsubscribes.
func (b *broadcaster) Subscribe() (<-chan contract.Event, func()) {
	ch := make(chan contract.Event, eventsBuffer)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(ch)
		return ch, func() {}
	}
	b.subs[ch] = struct{}{}
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[ch]; ok {
			delete(b.subs, ch)
			close(ch)
		}
	}
}

func (b *broadcaster) Publish(e contract.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- e:
		default:
			delete(b.subs, ch)
			close(ch)
		}
	}
}

// Close ends every subscriber's stream after what it was sent.
func (b *broadcaster) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		delete(b.subs, ch)
		close(ch)
	}
}
