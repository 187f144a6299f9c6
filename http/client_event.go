package http

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// Event stream reconnection: DefaultEventRetry until the server says otherwise (an
// SSE "retry:" field), doubled while reconnecting fails, up to MaxEventRetry.
const (
	DefaultEventRetry = time.Second
	MaxEventRetry     = 30 * time.Second
)

// maxEventBytes bounds one event of a stream.
const maxEventBytes = 1 << 20

// eventIdle ends a stream that sent nothing, not even its heartbeat, for three
// heartbeats: a connection that died without closing (a lost peer, a NAT that forgot
// it) is made again instead of waited on forever. Tests shorten it.
var eventIdle = 3 * EventsHeartbeat

// EventFilter selects the events Events follows.
type EventFilter struct {
	// GameID, when not zero, follows one game's events (?game=<id>).
	GameID uuid.UUID
	// After resumes after the event with this seq (sent as Last-Event-ID); 0 starts
	// wherever the server starts a new stream.
	After uint64
}

// ReconnectError is a transient failure of an event stream: the connection could not
// be made or ended. Events reconnects After it, resuming after the last event it
// yielded, unless the consumer stops.
type ReconnectError struct {
	Err   error // io.EOF when the server ended the stream
	After time.Duration
}

func (e *ReconnectError) Error() string {
	return fmt.Sprintf("event stream interrupted (%v); reconnecting in %s", e.Err, e.After)
}

func (e *ReconnectError) Unwrap() error { return e.Err }

// Events follows galaxyd's events, GET /api/v1/events, a Server-Sent Events stream
// whose events carry an orchestrator.Event as JSON and its seq as the SSE id. It
// yields the events in order until ctx ends or the consumer stops. A connection that
// fails or ends is yielded as a *ReconnectError and made again with Last-Event-ID set
// to the last seq seen, so no event is skipped; an event that cannot be decoded is
// yielded as an error and the stream goes on. An error answer (404 from a galaxyd
// without the route, 401, 403) is yielded as its *orchestrator.Error and ends the
// sequence, as does an answer that is not text/event-stream.
func (c *Client) Events(ctx context.Context, f EventFilter) iter.Seq2[*orchestrator.Event, error] {
	return func(yield func(*orchestrator.Event, error) bool) {
		last, retry, fails := f.After, DefaultEventRetry, 0
		for {
			got, err := c.streamEvents(ctx, f.GameID, &last, &retry, yield)
			var coded *orchestrator.Error
			switch {
			case err == nil || ctx.Err() != nil:
				return // the consumer stopped, or ctx ended
			case errors.As(err, &coded), errors.Is(err, errNotAnswered):
				yield(nil, err)
				return
			}
			if got {
				fails = 0
			}
			delay := min(retry<<min(fails, 5), MaxEventRetry)
			fails++
			if !yield(nil, &ReconnectError{Err: err, After: delay}) {
				return
			}
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// streamEvents makes one connection and yields its events, updating *last and *retry.
// It returns nil when the consumer stopped, and otherwise why the stream ended; got
// says whether any event came.
func (c *Client) streamEvents(ctx context.Context, game uuid.UUID, last *uint64, retry *time.Duration,
	yield func(*orchestrator.Event, error) bool) (got bool, err error) {
	q := url.Values{}
	if game != uuid.Nil {
		q.Set("game", game.String())
	}
	h := http.Header{}
	if *last > 0 {
		h.Set("Last-Event-ID", strconv.FormatUint(*last, 10))
	}
	a, err := c.do(ctx, request{method: "GET", path: "/api/v1/events", query: q, header: h, accept: "text/event-stream", stream: true})
	if err != nil {
		return false, err
	}
	defer a.stream.Close()
	if ct := a.header.Get("Content-Type"); !isMediaType(ct, "text/event-stream") {
		return false, fmt.Errorf("GET /api/v1/events answered %q, not text/event-stream: %w", ct, errNotAnswered)
	}
	var idle atomic.Bool
	watchdog := time.AfterFunc(eventIdle, func() {
		idle.Store(true)
		a.stream.Close() // the blocked read returns
	})
	defer watchdog.Stop()
	stopped := false
	err = readSSE(readFunc(func(p []byte) (int, error) {
		n, err := a.stream.Read(p)
		if n > 0 {
			watchdog.Reset(eventIdle)
		}
		return n, err
	}), func(ev sseEvent) bool {
		if ev.retry > 0 {
			*retry = ev.retry
		}
		if ev.hasID {
			if n, err := strconv.ParseUint(ev.id, 10, 64); err == nil {
				*last = n
			}
		}
		if !ev.hasData {
			return true
		}
		got = true
		var e orchestrator.Event
		if err := json.Unmarshal([]byte(ev.data), &e); err != nil {
			stopped = !yield(nil, fmt.Errorf("event %s: not an event: %w", ev.id, err))
			return !stopped
		}
		if e.Type == "" {
			e.Type = ev.event
		}
		if !ev.hasID && e.Seq > 0 {
			*last = e.Seq
		}
		stopped = !yield(&e, nil)
		return !stopped
	})
	if stopped {
		return got, nil
	} else if idle.Load() {
		return got, fmt.Errorf("nothing came for %s, not even a heartbeat", eventIdle)
	}
	return got, err
}

// readFunc is an io.Reader of a function.
type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

// sseEvent is one block of a text/event-stream (fields as the SSE specification
// defines them; retry is only set when the block carried one).
type sseEvent struct {
	id, event, data string
	hasID, hasData  bool
	retry           time.Duration
}

// readSSE parses a text/event-stream and calls fn for each block that carried a
// field, until fn returns false (then it returns nil) or the stream ends (io.EOF, or
// the read error). Comments (":" lines, the keep-alives) are skipped; lines end with
// LF or CRLF.
func readSSE(r io.Reader, fn func(sseEvent) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxEventBytes)
	var ev sseEvent
	var data strings.Builder
	dirty := false
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if dirty {
				ev.data = strings.TrimSuffix(data.String(), "\n")
				if !fn(ev) {
					return nil
				}
			}
			ev, dirty = sseEvent{}, false
			data.Reset()
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
			ev.hasData, dirty = true, true
		case "event":
			ev.event, dirty = value, true
		case "id":
			if !strings.ContainsRune(value, 0) {
				ev.id, ev.hasID, dirty = value, true, true
			}
		case "retry":
			if ms, err := strconv.Atoi(value); err == nil && ms > 0 {
				ev.retry, dirty = time.Duration(ms)*time.Millisecond, true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.EOF
}
