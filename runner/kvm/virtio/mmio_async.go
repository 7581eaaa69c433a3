package virtio

// Out-of-order completion, for a device that answers requests when its
// server does rather than in the order the driver made them (9P: a read
// that waits on the host must not hold back a stat behind it).

// Take pops the next chain the driver made available on queue qi
// without answering it; the device answers it later with Complete. ok
// is false when there is none or the device is not running. An error
// is a broken queue, which puts the device in NEEDS_RESET.
func (t *MMIO) Take(qi int) (c Chain, ok bool, err error) {
	t.mu.Lock()
	if t.status&StatusDriverOK == 0 || t.status&StatusNeedsReset != 0 || qi < 0 || qi >= len(t.queues) || !t.queues[qi].Ready {
		t.mu.Unlock()
		return Chain{}, false, nil
	}
	c, ok, err = t.queues[qi].Pop(t.mem)
	if err != nil {
		t.broken(err)
		t.mu.Unlock()
		t.irq.Interrupt(t.line)
		return Chain{}, false, err
	}
	t.mu.Unlock()
	return c, ok, nil
}

// Complete answers a chain Take returned: fill, called under the
// transport's lock, writes the answer into it and returns its head and
// the bytes written, or ok false when the chain is no longer the
// device's to answer (the driver reset the device since: the device
// keeps its own generation, which Lifecycle.Reset and Broken move on
// under this same lock). The chain goes back to the driver and the
// guest is interrupted unless it asked not to be.
func (t *MMIO) Complete(qi int, fill func() (head uint16, n uint32, ok bool)) {
	t.mu.Lock()
	if t.status&StatusDriverOK == 0 || t.status&StatusNeedsReset != 0 || qi < 0 || qi >= len(t.queues) || !t.queues[qi].Ready {
		t.mu.Unlock()
		return
	}
	head, n, ok := fill()
	if !ok {
		t.mu.Unlock()
		return
	}
	q := &t.queues[qi]
	raise := false
	if err := q.Push(t.mem, head, n); err != nil {
		t.broken(err)
		raise = true
	} else {
		t.intStatus |= intUsedBuffer
		raise = q.WantsInterrupt(t.mem)
	}
	t.mu.Unlock()
	if raise {
		t.irq.Interrupt(t.line)
	}
}
