package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// EventsHeartbeat is how often an idle event stream sends a comment line, so proxies
// and browsers keep the connection and a dead client is noticed.
const EventsHeartbeat = 15 * time.Second

// handleEvents streams the event log as Server-Sent Events (lobby token): every event
// the lobby's webhook gets, as it is appended — `id:` its seq, `event:` its type,
// `data:` the event as JSON. ?game= keeps one game's events. A client that reconnects
// sends Last-Event-ID (or ?after=) and misses nothing the log still holds; a new one
// starts with what happens from now on.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if s.EventFeed == nil {
		s.handleNotFound(w, r)
		return
	}
	var game uuid.UUID
	if v := r.URL.Query().Get("game"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			s.Error(w, r, orchestrator.FieldErrorf("game", "game must be a UUID"))
			return
		}
		game = id
	}
	after, err := s.eventsStart(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives an API answer's deadline
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, ": galaxyd event stream\n\n")
	_ = rc.Flush()
	for {
		evs, err := s.EventFeed.Next(r.Context(), after, 100, EventsHeartbeat)
		if err != nil {
			if r.Context().Err() == nil {
				s.requestLogger(r).Warn("event stream ended", "error", err)
			}
			return
		}
		if len(evs) == 0 {
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
		}
		for _, e := range evs {
			after = e.Seq
			if game != uuid.Nil && e.GameID != game {
				continue
			}
			b, _ := json.Marshal(e)
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, b); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// eventsStart is the seq a stream starts after: Last-Event-ID or ?after=, else the
// log's last event (only what happens from now on).
func (s *Server) eventsStart(r *http.Request) (uint64, error) {
	for field, v := range map[string]string{"Last-Event-ID": r.Header.Get("Last-Event-ID"), "after": r.URL.Query().Get("after")} {
		if v == "" {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, orchestrator.FieldErrorf(field, "%s must be an event seq (a non-negative integer)", field)
		}
		return n, nil
	}
	return s.EventFeed.Last(r.Context())
}
