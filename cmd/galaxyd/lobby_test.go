package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/webhook"
)

// fakeLobby is a webhook receiver that answers 500 while failing is set and 200
// afterwards, recording every call.
type fakeLobby struct {
	mu      sync.Mutex
	failing bool
	calls   []lobbyCall
}

// stopFailing makes the lobby answer 200 from now on and returns the number of calls
// it failed.
func (l *fakeLobby) stopFailing() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failing = false
	return len(l.calls)
}

type lobbyCall struct {
	at               time.Time
	status           int
	id, typ, ts, sig string
	body             []byte
	event            orchestrator.Event
}

func (l *fakeLobby) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := lobbyCall{
		at: time.Now(),
		id: r.Header.Get(webhook.HeaderEventID), typ: r.Header.Get(webhook.HeaderEventType),
		ts: r.Header.Get(webhook.HeaderTimestamp), sig: r.Header.Get(webhook.HeaderSignature), body: body,
	}
	json.Unmarshal(body, &c.event)
	l.mu.Lock()
	c.status = http.StatusOK
	if l.failing {
		c.status = http.StatusInternalServerError
	}
	l.calls = append(l.calls, c)
	l.mu.Unlock()
	w.WriteHeader(c.status)
}

func (l *fakeLobby) snapshot() []lobbyCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]lobbyCall(nil), l.calls...)
}

func eventTypes(evs []orchestrator.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = fmt.Sprintf("%s#%d", e.Type, e.Turn)
	}
	return out
}
