package kernelcfg

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockFileWaits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.lock")
	unlock, err := lockFile(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var msg bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*lockPoll)
	defer cancel()
	if _, err := lockFile(ctx, path, &msg); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock while held: %v, want a deadline error", err)
	}
	if !strings.Contains(msg.String(), "waiting for another build") {
		t.Errorf("progress %q does not say it waits", msg.String())
	}

	got := make(chan error, 1)
	go func() {
		u, err := lockFile(context.Background(), path, &bytes.Buffer{})
		if err == nil {
			u()
		}
		got <- err
	}()
	time.Sleep(lockPoll / 2)
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("lock after release: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lock not taken after the holder released it")
	}
}
