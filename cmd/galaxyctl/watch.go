package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// watchPollInterval is how often game watch polls a galaxyd that has no event stream;
// tests shorten it.
var watchPollInterval = time.Second

// watchOps is how many of the newest operations each poll reads.
const watchOps = 20

// watchRecord is one line of game watch -json: an event from the stream or, when
// polling, the runtime or an operation that changed.
type watchRecord struct {
	Event     *orchestrator.Event     `json:"event,omitempty"`
	Runtime   *orchestrator.Runtime   `json:"runtime,omitempty"`
	Operation *orchestrator.Operation `json:"operation,omitempty"`
}

// errNoEventStream: galaxyd answered 404 for /api/v1/events.
var errNoEventStream = errors.New("no event stream")

func gameWatch(fs *flag.FlagSet, in *invocation) action {
	return func(ctx context.Context, pos []string) error {
		id, err := in.parseID("gameId", pos[0])
		if err != nil {
			return err
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		v, err := cl.Game(ctx, id)
		if err != nil {
			return err
		}
		r := runtimeOf(v)
		if in.human() {
			fmt.Fprintf(in.stdout, "==> %s: Watching game %s (Ctrl-C to stop)\n", clock(now()), id)
		}
		if err := in.emit(watchRecord{Runtime: r}, func(say func(string, ...any)) {
			say("Game is %s at turn %d, engine %s, paused %t, next turn %s", r.Status, r.CurrentTurn, health(r), r.Paused, nextTurn(r))
		}); err != nil {
			return err
		}
		if r.Status == orchestrator.StatusRemoved {
			return nil
		}
		err = in.watchEvents(ctx, cl, id)
		if errors.Is(err, errNoEventStream) {
			if in.human() {
				fmt.Fprintf(in.stdout, "    %s: galaxyd has no event stream (GET /api/v1/events: 404); polling every %s\n", clock(now()), watchPollInterval)
			}
			return in.watchPoll(ctx, cl, v)
		}
		return err
	}
}

// watchEvents prints the game's events from galaxyd's event stream until ctx ends or
// the game is removed.
func (in *invocation) watchEvents(ctx context.Context, cl *ghttp.Client, id uuid.UUID) error {
	for e, err := range cl.Events(ctx, ghttp.EventFilter{GameID: id}) {
		var re *ghttp.ReconnectError
		switch {
		case errors.As(err, &re):
			fmt.Fprintf(in.stderr, "    %s: %v\n", clock(now()), err)
			continue
		case orchestrator.ErrorCode(err) == orchestrator.ENOTFOUND:
			return errNoEventStream
		case err != nil:
			return err
		case e.GameID != id:
			continue // another game's, from a server that does not filter
		}
		if err := in.emit(watchRecord{Event: e}, func(func(string, ...any)) {
			fmt.Fprintf(in.stdout, "    %s: %s\n", clock(e.CreatedAt), eventLine(e))
		}); err != nil {
			return err
		}
		if e.Type == orchestrator.EventGameRemoved {
			return nil
		}
	}
	return nil // ctx ended: interrupted
}

// watchPoll follows the game by polling its runtime and its newest operations every
// watchPollInterval, printing what changed, until ctx ends or the game is removed.
func (in *invocation) watchPoll(ctx context.Context, cl *ghttp.Client, first *orchestrator.GameView) error {
	id, prev := first.ID, runtimeOf(first)
	seen := map[uuid.UUID]*orchestrator.Operation{}
	readOps := true
	if ops, err := cl.Operations(ctx, id, watchOps); err == nil {
		for _, op := range ops {
			seen[op.ID] = op
		}
	} else if orchestrator.ErrorCode(err) == orchestrator.EFORBIDDEN {
		readOps = false
		if in.human() {
			fmt.Fprintf(in.stdout, "    %s: operations need the admin token; following the runtime only\n", clock(now()))
		}
	}
	tick := time.NewTicker(watchPollInterval)
	defer tick.Stop()
	unanswered := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		v, err := cl.Game(ctx, id)
		var coded *orchestrator.Error
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &coded):
			return err
		case err != nil:
			if !unanswered && in.human() {
				fmt.Fprintf(in.stdout, "    %s: galaxyd does not answer (%v); still polling\n", clock(now()), err)
			}
			unanswered = true
			continue
		}
		unanswered = false
		r := runtimeOf(v)
		if !r.UpdatedAt.Equal(prev.UpdatedAt) || r.Status != prev.Status {
			last := prev
			if err := in.emit(watchRecord{Runtime: r}, func(say func(string, ...any)) {
				gameChanges(last, r, say)
				if !timesEqual(last.NextTurnAt, r.NextTurnAt) || last.Paused != r.Paused {
					say("Next turn %s", nextTurn(r))
				}
			}); err != nil {
				return err
			}
			prev = r
		}
		if readOps {
			ops, err := cl.Operations(ctx, id, watchOps)
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(in.stderr, "    %s: operations unreadable: %s\n", clock(now()), describe(err))
			}
			slices.Reverse(ops) // oldest first
			for _, op := range ops {
				old := seen[op.ID]
				if old != nil && !opChanged(old, op) {
					continue
				}
				seen[op.ID] = op
				if err := in.emit(watchRecord{Operation: op}, func(say func(string, ...any)) {
					tag := func(format string, args ...any) {
						say("%s %s: %s", op.Op, op.ID, fmt.Sprintf(format, args...))
					}
					if old == nil {
						tag("Operation queued by %s", op.Source)
						old = &orchestrator.Operation{Status: orchestrator.OpQueued}
					}
					opChanges(old, op, tag)
				}); err != nil {
					return err
				}
			}
		}
		if r.Status == orchestrator.StatusRemoved {
			return nil
		}
	}
}

// emit prints one record of a stream: a line of JSON with -json, the template with -t,
// and otherwise what human says, each line stamped with the time.
func (in *invocation) emit(rec any, human func(say func(string, ...any))) error {
	switch {
	case in.json:
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(in.stdout, "%s\n", b)
		return err
	case in.tmpl != "":
		return in.execTemplate(rec)
	}
	human(func(format string, args ...any) {
		fmt.Fprintf(in.stdout, "    %s: %s\n", clock(now()), fmt.Sprintf(format, args...))
	})
	return nil
}

// opChanged reports whether an operation moved between two polls.
func opChanged(a, b *orchestrator.Operation) bool {
	return a.Status != b.Status || a.Attempts != b.Attempts || !timesEqual(a.RetryAt, b.RetryAt) ||
		a.ErrorCode != b.ErrorCode || a.ErrorMessage != b.ErrorMessage
}

func timesEqual(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

// eventLine renders one event of the stream for people.
func eventLine(e *orchestrator.Event) string {
	var d struct {
		Error    string                 `json:"error"`
		Status   string                 `json:"status"`
		Turn     int                    `json:"turn"`
		Players  []engine.PlayerSummary `json:"players"`
		FromTurn int                    `json:"fromTurn"`
		ToTurn   int                    `json:"toTurn"`
		Line     int                    `json:"line"`
		FromNode string                 `json:"fromNode"`
		ToNode   string                 `json:"toNode"`
		OutageMS int64                  `json:"outageMs"`
	}
	_ = json.Unmarshal(e.Data, &d) // the fields shown are optional
	switch e.Type {
	case orchestrator.EventGameStarted:
		return fmt.Sprintf("Game started at turn %d", e.Turn)
	case orchestrator.EventStartFailed:
		return "Start failed: " + dash(d.Error)
	case orchestrator.EventTurnGenerated:
		return fmt.Sprintf("Turn %d generated%s", e.Turn, races(d.Players))
	case orchestrator.EventGameFailed:
		return fmt.Sprintf("Turn %d failed, game %s: %s", d.Turn, dash(d.Status), dash(d.Error))
	case orchestrator.EventGameFinished:
		return fmt.Sprintf("Game finished at turn %d%s", e.Turn, races(d.Players))
	case orchestrator.EventGameStopped:
		return fmt.Sprintf("Game stopped at turn %d", e.Turn)
	case orchestrator.EventGameRemoved:
		return "Game removed"
	case orchestrator.EventGamePaused:
		return "Game paused"
	case orchestrator.EventGameResumed:
		return "Game resumed"
	case orchestrator.EventRolledBack:
		return fmt.Sprintf("Rolled back from turn %d to turn %d (history line %d)", d.FromTurn, d.ToTurn, d.Line)
	case orchestrator.EventTransferred:
		return fmt.Sprintf("Engine moved from node %s to node %s (%d ms without an engine)", dash(d.FromNode), dash(d.ToNode), d.OutageMS)
	}
	return fmt.Sprintf("%s (turn %d)", e.Type, e.Turn)
}

// races summarises per-race figures: "; Zorg 3 planets, 120.00 pop, 80.00 ind; …".
func races(players []engine.PlayerSummary) string {
	var b strings.Builder
	for _, p := range players {
		fmt.Fprintf(&b, "; %s %d planets, %.2f pop, %.2f ind", p.RaceName, p.Planets, p.Population, p.Industry)
		if p.Out {
			b.WriteString(" (out)")
		}
	}
	return b.String()
}
