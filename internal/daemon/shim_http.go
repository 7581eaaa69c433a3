package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
)

// listTimeout bounds asking the guest for its containers in inspect.
const listTimeout = 2 * time.Second

// routes are the pod's routes, as hyperd serves them (hyperd proxies
// the requests for a running pod here unchanged).
func (s *Shim) routes() http.Handler {
	mux := http.NewServeMux()
	p := api.Prefix + "/pods/{id}"
	mux.HandleFunc("GET "+p, s.handleInspect)
	mux.HandleFunc("POST "+p+"/stop", s.handleStop)
	mux.HandleFunc("POST "+p+"/kill", s.handleKill)
	mux.HandleFunc("POST "+p+"/wait", s.handleWait)
	mux.HandleFunc("GET "+p+"/logs", s.handleLogs)
	mux.HandleFunc("GET "+p+"/events", s.handleEvents)
	mux.HandleFunc("POST "+p+"/exec", s.handleExec)
	return mux
}

// inspect is the pod with its containers as the guest reports them
// (their names only while the agent does not answer).
func (s *Shim) inspect(ctx context.Context) api.Pod {
	rec := podRecord{config: s.cfg, state: s.current()}
	out := rec.apiPod()
	if a := s.agentNow(); a != nil && rec.state.live() {
		lctx, cancel := context.WithTimeout(ctx, listTimeout)
		defer cancel()
		if cs, err := a.List(lctx); err == nil {
			out.Containers = cs
		}
	}
	return out
}

func (s *Shim) handleInspect(w http.ResponseWriter, r *http.Request) {
	if err := api.ParseNone(r.URL.Query()); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.inspect(r.Context()))
}

func (s *Shim) handleStop(w http.ResponseWriter, r *http.Request) {
	t, ok, err := api.ParseStop(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.stop(r.Context(), t, ok); err != nil {
		writeError(w, fmt.Errorf("stopping pod %s: %w", s.cfg.Name, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Shim) handleKill(w http.ResponseWriter, r *http.Request) {
	if err := api.ParseNone(r.URL.Query()); err != nil {
		writeError(w, err)
		return
	}
	if err := s.kill(r.Context()); err != nil {
		writeError(w, fmt.Errorf("killing pod %s: %w", s.cfg.Name, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Shim) handleWait(w http.ResponseWriter, r *http.Request) {
	if err := api.ParseNone(r.URL.Query()); err != nil {
		writeError(w, err)
		return
	}
	s.waitingOnce.Do(func() { close(s.waiting) })
	if s.awaitEnd(r.Context()) != nil {
		return
	}
	writeJSON(w, http.StatusOK, waitResponse(s.current()))
}

func waitResponse(st podState) api.WaitResponse {
	return api.WaitResponse{ExitStatus: st.ExitStatus, Error: st.Error}
}

// checkContainer says whether the pod has a container of that name.
func checkContainer(cfg podConfig, name string) error {
	if name != "" && !slices.Contains(cfg.Containers, name) {
		return fmt.Errorf("%w: %q in pod %s (it has %v)", errNoContainer, name, cfg.Name, cfg.Containers)
	}
	return nil
}

func (s *Shim) handleLogs(w http.ResponseWriter, r *http.Request) {
	q, err := api.ParseLogs(r.URL.Query(), time.Now())
	if err == nil {
		err = checkContainer(s.cfg, q.Container)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	streamLogs(w, r, func(fn func(contract.LogEntry) error) error {
		return s.logs.Read(r.Context(), q, fn)
	})
}

// streamLogs answers with the entries read sends, one JSON line each,
// flushed as they come.
func streamLogs(w http.ResponseWriter, r *http.Request, read func(func(contract.LogEntry) error) error) {
	w.Header().Set("Content-Type", api.ContentTypeNDJSON)
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	read(func(e contract.LogEntry) error {
		if err := enc.Encode(e); err != nil {
			return err
		}
		if fl != nil {
			fl.Flush()
		}
		return nil
	})
}

func (s *Shim) handleEvents(w http.ResponseWriter, r *http.Request) {
	if err := api.ParseNone(r.URL.Query()); err != nil {
		writeError(w, err)
		return
	}
	ch, cancel := s.events.Subscribe()
	defer cancel()
	s.connect() // the containers' events come from the agent
	w.Header().Set("Content-Type", api.ContentTypeNDJSON)
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	if fl != nil {
		fl.Flush()
	}
	enc := json.NewEncoder(w)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return
			}
			if enc.Encode(e) != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		case <-r.Context().Done():
			return
		}
	}
}
