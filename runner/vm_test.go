package runner

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/hyperbuild/hyper/contract"
)

// pingServer is a guest agent that answers ping and list and nothing else.
func pingServer(guest net.Conn) {
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = io.Discard
	sess, err := yamux.Server(guest, cfg)
	if err != nil {
		return
	}
	for {
		s, err := sess.AcceptStream()
		if err != nil {
			return
		}
		go func() {
			defer s.Close()
			req, err := contract.ReadRequest(s)
			if err != nil {
				return
			}
			r := contract.Reply{Version: contract.AgentVersion}
			if req.Op == contract.OpList {
				r.Containers = []contract.ContainerStatus{{Name: "web", State: contract.StateRunning}}
			}
			contract.WriteJSON(s, contract.FrameReply, r)
		}()
	}
}

// silentGuest reads what the host sends and never answers (a hyperstart
// without an agent, or one still booting).
func silentGuest(guest net.Conn) { io.Copy(io.Discard, guest) }

func startHeld(t *testing.T, be *fake) *VM {
	t.Helper()
	path, _, _ := artifact(t, "raw")
	withBackends(t, be)
	v, err := Start(context.Background(), path, Config{Backend: be.name, Net: "none"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		v.Kill()
		v.Wait()
	})
	return v
}

func TestVMAgent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.Run("answers", func(t *testing.T) {
		v := startHeld(t, &fake{name: "fake", hold: true, agent: pingServer})
		c, err := v.Agent(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cs, err := c.List(ctx); err != nil || len(cs) != 1 || cs[0].Name != "web" {
			t.Errorf("List = %+v, %v", cs, err)
		}
		if again, err := v.Agent(ctx); err != nil || again != c {
			t.Errorf("a second Agent = %p, %v; want the same client %p", again, err, c)
		}
		v.Kill()
		v.Wait()
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Error("the client is still open after the VM stopped")
		}
		if _, err := v.Agent(ctx); !errors.Is(err, ErrStopped) {
			t.Errorf("Agent after the stop = %v; want ErrStopped", err)
		}
	})
	t.Run("silent guest", func(t *testing.T) {
		v := startHeld(t, &fake{name: "fake", hold: true, agent: silentGuest})
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if _, err := v.Agent(short); !errors.Is(err, ErrNoAgent) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Agent of a silent guest = %v; want ErrNoAgent after the deadline", err)
		}
		// The VM stopping ends a wait at once, whatever ctx allows.
		time.AfterFunc(100*time.Millisecond, func() { v.Kill() })
		if _, err := v.Agent(ctx); !errors.Is(err, ErrStopped) {
			t.Errorf("Agent while the VM stops = %v; want ErrStopped", err)
		}
	})
	t.Run("no agent port", func(t *testing.T) {
		v := startHeld(t, &fake{name: "fake", hold: true})
		if _, err := v.Agent(ctx); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Agent without a port = %v; want ErrUnsupported", err)
		}
	})
}
