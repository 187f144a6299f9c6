package main

import (
	"strconv"
	"sync"
	"time"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// gameRecord is what the writers know about one game.
type gameRecord struct {
	ID    uuid.UUID
	Users []uuid.UUID
	// FirstStart is when the earliest start request that was acknowledged or went
	// unanswered was *sent*: the game cannot have been scheduled before it.
	FirstStart time.Time
	// Forced counts force-next-turn requests that were acknowledged or unanswered:
	// every one of them may have produced a turn.
	Forced int
	// Paused is when the final pause was acknowledged (zero when it was not): no
	// scheduled turn can be queued after it.
	Paused time.Time
}

// ackedOp is an operation the API acknowledged with 202.
type ackedOp struct {
	ID, GameID uuid.UUID
	Op         orchestrator.Op
	At         time.Time
}

// pendingCreate is a create whose answer was lost: replaying it with the same
// Idempotency-Key and body returns the game if the first one was committed.
type pendingCreate struct {
	key   string
	in    orchestrator.GameInput
	users []uuid.UUID
}

// ledger records every acknowledged write; the writers share it.
type ledger struct {
	mu       sync.Mutex
	games    []*gameRecord
	byID     map[uuid.UUID]*gameRecord
	ops      []ackedOp
	creates  []pendingCreate
	orders   int
	pauses   int
	rejected int
	lost     int
	server   int
	errs     map[string]bool // distinct 5xx bodies, for the notes
}

func newLedger() *ledger {
	return &ledger{byID: make(map[uuid.UUID]*gameRecord), errs: make(map[string]bool)}
}

// wanted is the number of games created or possibly created so far.
func (l *ledger) wanted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.games) + len(l.creates)
}

func (l *ledger) addGame(id uuid.UUID, users []uuid.UUID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byID[id] != nil {
		return
	}
	g := &gameRecord{ID: id, Users: users}
	l.games = append(l.games, g)
	l.byID[id] = g
}

func (l *ledger) pushCreate(p pendingCreate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.creates = append(l.creates, p)
}

// popCreate takes a pending create to replay, if any.
func (l *ledger) popCreate() (pendingCreate, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.creates) == 0 {
		return pendingCreate{}, false
	}
	p := l.creates[0]
	l.creates = l.creates[1:]
	return p, true
}

// pick returns one known game, or nil.
func (l *ledger) pick(n int) *gameRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.games) == 0 {
		return nil
	}
	g := *l.games[n%len(l.games)]
	return &g
}

func (l *ledger) all() []gameRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]gameRecord, len(l.games))
	for i, g := range l.games {
		out[i] = *g
	}
	return out
}

func (l *ledger) game(id uuid.UUID) (gameRecord, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.byID[id]
	if g == nil {
		return gameRecord{}, false
	}
	return *g, true
}

// started notes a start request sent at t that may have been committed.
func (l *ledger) started(id uuid.UUID, t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if g := l.byID[id]; g != nil && (g.FirstStart.IsZero() || t.Before(g.FirstStart)) {
		g.FirstStart = t
	}
}

func (l *ledger) forced(id uuid.UUID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if g := l.byID[id]; g != nil {
		g.Forced++
	}
}

func (l *ledger) paused(id uuid.UUID, t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if g := l.byID[id]; g != nil {
		g.Paused = t
	}
}

func (l *ledger) addOp(op *orchestrator.Operation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops = append(l.ops, ackedOp{ID: op.ID, GameID: op.GameID, Op: op.Op, At: time.Now()})
}

func (l *ledger) ackedOps() []ackedOp {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ackedOp(nil), l.ops...)
}

// count records the outcome of a write that is not a create or a queued operation
// (those are recorded with their ids); err is the client's error for it.
func (l *ledger) count(o outcome, err error, kind string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch o {
	case acked:
		switch kind {
		case "orders":
			l.orders++
		case "pause", "resume":
			l.pauses++
		}
	case rejected:
		l.rejected++
		if e := serverError(err); e != nil {
			l.server++
			if len(l.errs) < 10 {
				l.errs[kind+" "+strconv.Itoa(ghttp.ErrorStatus(e.Code))+": "+e.Error()] = true
			}
		}
	case unanswered:
		l.lost++
	}
}
