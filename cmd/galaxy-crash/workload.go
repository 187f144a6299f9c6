package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// devEngineVersion is the version under which galaxyd -dev registers the engine.
const devEngineVersion = "0.1.0"

// writeInterval paces each writer: a few dozen writes a second across the writers
// keep every code path busy without starving galaxyd of the machine's two cores.
const writeInterval = 30 * time.Millisecond

// workload fires concurrent API writes and records what was acknowledged.
type workload struct {
	c     *ghttp.Client
	l     *ledger
	games int
	cron  string
}

// action is one kind of write with its weight in the random mix.
type action struct {
	name   string
	weight int
	do     func(w *workload, ctx context.Context, rng *rand.Rand)
}

// actions is the write mix: mostly turns and orders (the hot paths of §6), with
// enough pauses, stops, starts, sleeps and wakes to move games through their states
// (galaxyd also puts idle engines to sleep on its own, and the scheduler and players'
// orders wake them).
var actions = []action{
	{"create", 6, (*workload).create},
	{"start", 8, (*workload).start},
	{"stop", 2, (*workload).stop},
	{"pause", 6, (*workload).pause},
	{"resume", 10, (*workload).resume},
	{"force", 20, (*workload).force},
	{"orders", 30, (*workload).orders},
	{"sleep", 5, (*workload).sleep},
	{"wake", 3, (*workload).wake},
}

// writer runs random writes until ctx ends.
func (w *workload) writer(ctx context.Context, rng *rand.Rand) {
	total := 0
	for _, a := range actions {
		total += a.weight
	}
	tick := time.NewTicker(writeInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if p, ok := w.l.popCreate(); ok {
			w.replayCreate(ctx, p)
			continue
		}
		n := rng.IntN(total)
		for _, a := range actions {
			if n < a.weight {
				a.do(w, ctx, rng)
				break
			}
			n -= a.weight
		}
	}
}

var raceNames = []string{"Aliens", "Borgs", "Cylons", "Daleks"}

// create creates a game (while fewer than w.games exist) and starts it.
func (w *workload) create(ctx context.Context, rng *rand.Rand) {
	if w.l.wanted() >= w.games {
		return
	}
	key := make([]byte, 16)
	for i := range key {
		key[i] = byte(rng.Uint32())
	}
	p := pendingCreate{key: "crash-" + hex.EncodeToString(key)}
	in := orchestrator.GameInput{EngineVersion: devEngineVersion, Schedule: orchestrator.Schedule{Cron: w.cron}}
	for i := range 2 + rng.IntN(3) {
		u := uuid.New()
		p.users = append(p.users, u)
		in.Players = append(in.Players, orchestrator.PlayerInput{UserID: u, RaceName: raceNames[i]})
	}
	p.in = in
	w.replayCreate(ctx, p)
}

// replayCreate sends a create with its Idempotency-Key; an unanswered one is queued
// to be sent again, so a game committed before a kill is found rather than lost.
func (w *workload) replayCreate(ctx context.Context, p pendingCreate) {
	v, _, err := w.c.CreateGame(ctx, p.in, p.key) // 201, or 200 for a replay: both acknowledge
	switch outcomeOf(err) {
	case acked:
		if v.Game == nil {
			w.l.count(rejected, errors.New("create answered without a game"), "create")
			return
		}
		w.l.addGame(v.ID, p.users)
		w.startGame(ctx, v.ID)
	case unanswered:
		// Even when ctx ended: the settle phase replays it to learn the game.
		w.l.count(unanswered, err, "create")
		w.l.pushCreate(p)
	default:
		w.l.count(rejected, err, "create")
		if !answered(err) {
			w.l.pushCreate(p) // refused: nothing was sent; try again
		}
	}
}

// opCall is a lifecycle call that queues an operation (202).
type opCall func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error)

// queue sends a write answered by 202 and an operation, and records the operation.
func (w *workload) queue(ctx context.Context, id uuid.UUID, kind string, call opCall) outcome {
	op, err := call(ctx, id, orchestrator.SourceLobby)
	o := outcomeOf(err)
	if o == acked {
		if op.ID == uuid.Nil || op.GameID != id {
			w.l.count(rejected, orchestrator.Errorf(orchestrator.EINTERNAL, "202 without a valid operation for %s: %+v", id, op), kind)
			return rejected
		}
		w.l.addOp(op)
		return acked
	}
	w.l.count(o, err, kind)
	return o
}

func (w *workload) startGame(ctx context.Context, id uuid.UUID) {
	sent := time.Now()
	if w.queue(ctx, id, "start", w.c.Start) != rejected {
		w.l.started(id, sent)
	}
}

func (w *workload) start(ctx context.Context, rng *rand.Rand) {
	if g := w.l.pick(rng.IntN(1 << 20)); g != nil {
		w.startGame(ctx, g.ID)
	}
}

func (w *workload) stop(ctx context.Context, rng *rand.Rand) {
	if g := w.l.pick(rng.IntN(1 << 20)); g != nil {
		w.queue(ctx, g.ID, "stop", w.c.Stop)
	}
}

func (w *workload) sleep(ctx context.Context, rng *rand.Rand) {
	if g := w.l.pick(rng.IntN(1 << 20)); g != nil {
		w.queue(ctx, g.ID, "sleep", w.c.Sleep)
	}
}

func (w *workload) wake(ctx context.Context, rng *rand.Rand) {
	if g := w.l.pick(rng.IntN(1 << 20)); g != nil {
		w.queue(ctx, g.ID, "wake", w.c.Wake)
	}
}

func (w *workload) force(ctx context.Context, rng *rand.Rand) {
	if g := w.l.pick(rng.IntN(1 << 20)); g != nil {
		if w.queue(ctx, g.ID, "force-next-turn", w.c.ForceNextTurn) != rejected {
			w.l.forced(g.ID)
		}
	}
}

func (w *workload) pause(ctx context.Context, rng *rand.Rand) {
	w.flip(ctx, rng, "pause", w.c.Pause)
}

func (w *workload) resume(ctx context.Context, rng *rand.Rand) {
	w.flip(ctx, rng, "resume", w.c.Resume)
}

// flip pauses or resumes a game: synchronous, 200 with the game.
func (w *workload) flip(ctx context.Context, rng *rand.Rand, kind string,
	call func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.GameView, error)) {
	if g := w.l.pick(rng.IntN(1 << 20)); g != nil {
		_, err := call(ctx, g.ID, orchestrator.SourceLobby)
		w.l.count(outcomeOf(err), err, kind)
	}
}

// orders submits an empty order list for the open turn as one of the game's players.
func (w *workload) orders(ctx context.Context, rng *rand.Rand) {
	g := w.l.pick(rng.IntN(1 << 20))
	if g == nil || len(g.Users) == 0 {
		return
	}
	user := g.Users[rng.IntN(len(g.Users))]
	turn := 0
	_, err := w.c.SubmitOrders(ctx, g.ID, user, orchestrator.OrdersInput{Turn: &turn, Orders: []json.RawMessage{}})
	w.l.count(outcomeOf(err), err, "orders")
}
