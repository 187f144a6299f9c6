package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// pollInterval is the first pause between polls of -wait; it doubles up to
// maxPollInterval. Tests shorten both.
var (
	pollInterval    = 500 * time.Millisecond
	maxPollInterval = 2 * time.Second
)

func opCommand() *command {
	return &command{
		name:     "op",
		synopsis: "Inspect and follow operations",
		help:     "Operations: the lifecycle calls galaxyd runs one at a time per game.",
		subs: []*command{{
			name: "status", args: "<operationId>", synopsis: "Show an operation; -wait follows it (admin)", setup: opStatus,
			help: `Shows an operation: what it is, who asked, its status, attempts and error.
With -wait, follows it until it ends (see "game start -h").`,
		}},
	}
}

func opStatus(fs *flag.FlagSet, in *invocation) action {
	of := addOpFlags(fs)
	return func(ctx context.Context, pos []string) error {
		id, err := in.parseID("operationId", pos[0])
		if err != nil {
			return err
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		op, err := cl.Operation(ctx, id)
		if err != nil {
			return err
		}
		return in.finishOp(ctx, cl, of, op)
	}
}

// opFlags are the flags of commands that queue an operation.
type opFlags struct {
	wait    bool
	timeout time.Duration
}

func addOpFlags(fs *flag.FlagSet) *opFlags {
	o := &opFlags{}
	fs.BoolVar(&o.wait, "wait", false, "Follow the operation until it ends, showing its progress; exit 1 if it failed.")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "How `long` -wait follows the operation.")
	return o
}

// finishOp prints op, after following it with -wait, and turns a failed operation
// into exit code 1.
func (in *invocation) finishOp(ctx context.Context, cl *ghttp.Client, of *opFlags, op *orchestrator.Operation) error {
	if of.wait && !op.Done() {
		var err error
		if op, err = in.monitor(ctx, cl, op, of.timeout); err != nil {
			return err
		}
	}
	if err := in.output(op, func() error { return printOp(in.stdout, op) }); err != nil {
		return err
	}
	if op.Status == orchestrator.OpFailed {
		return fmt.Errorf("operation %s (%s) failed: %s", op.ID, op.Op, opError(op))
	}
	return nil
}

// monitor follows op until it is done, as `nomad job run` follows its evaluation: for
// people it prints every change of the operation (status, attempts, the next retry,
// errors) and of its game (status, health, placement, turn) as it sees it. It polls,
// from pollInterval up to maxPollInterval apart. A galaxyd that does not answer for a
// while (restarting) is waited for; an error answer ends the wait.
func (in *invocation) monitor(ctx context.Context, cl *ghttp.Client, op *orchestrator.Operation, timeout time.Duration) (*orchestrator.Operation, error) {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	say := func(format string, args ...any) {
		if in.human() {
			fmt.Fprintf(in.stdout, "    %s: %s\n", clock(now()), fmt.Sprintf(format, args...))
		}
	}
	if in.human() {
		fmt.Fprintf(in.stdout, "==> %s: Monitoring operation %q (%s of game %s)\n", clock(now()), op.ID, op.Op, op.GameID)
	}
	say("Operation is %s%s", op.Status, attemptOf(op))
	var game *orchestrator.Runtime
	if v, err := cl.Game(wctx, op.GameID); err == nil {
		game = v.Runtime
		if game != nil {
			say("Game is %s at turn %d, engine %s", game.Status, game.CurrentTurn, health(game))
		}
	}
	delay, unanswered := pollInterval, false
	for {
		t := time.NewTimer(delay)
		select {
		case <-wctx.Done():
			t.Stop()
			if ctx.Err() != nil {
				return nil, fmt.Errorf("interrupted; operation %s is still %s (follow it with: galaxyctl op status %s -wait)", op.ID, op.Status, op.ID)
			}
			return nil, fmt.Errorf("operation %s still %s after %s (follow it with: galaxyctl op status %s -wait)", op.ID, op.Status, timeout, op.ID)
		case <-t.C:
		}
		delay = min(2*delay, maxPollInterval)
		next, err := cl.Operation(wctx, op.ID)
		var coded *orchestrator.Error
		switch {
		case wctx.Err() != nil:
			continue // reported by the select
		case errors.As(err, &coded):
			return nil, err
		case err != nil:
			if !unanswered {
				say("galaxyd does not answer (%v); waiting for it", err)
			}
			unanswered = true
			continue
		}
		if unanswered {
			say("galaxyd answers again")
			unanswered = false
		}
		opChanges(op, next, say)
		if v, err := cl.Game(wctx, op.GameID); err == nil && v.Runtime != nil {
			gameChanges(game, v.Runtime, say)
			game = v.Runtime
		}
		op = next
		if op.Done() {
			if in.human() {
				fmt.Fprintf(in.stdout, "==> %s: Operation %q finished: %s\n\n", clock(now()), op.ID, op.Status)
			}
			return op, nil
		}
	}
}

// attemptOf is " (attempt N)" once an operation has been tried.
func attemptOf(op *orchestrator.Operation) string {
	if op.Attempts == 0 {
		return ""
	}
	return " (attempt " + strconv.Itoa(op.Attempts) + ")"
}

// retriedOf is " after N attempts" for an operation that needed more than one.
func retriedOf(op *orchestrator.Operation) string {
	if op.Attempts < 2 {
		return ""
	}
	return " after " + strconv.Itoa(op.Attempts) + " attempts"
}

// opChanges reports what changed between two looks at an operation.
func opChanges(prev, next *orchestrator.Operation, say func(string, ...any)) {
	retryChanged := (prev.RetryAt == nil) != (next.RetryAt == nil) || prev.RetryAt != nil && !prev.RetryAt.Equal(*next.RetryAt)
	if next.Attempts != prev.Attempts || retryChanged {
		if next.RetryAt != nil && !next.Done() {
			say("Attempt %d failed: %s; next try at %s", next.Attempts, dash(opError(next)), clock(*next.RetryAt))
		} else if !next.Done() {
			say("Attempt %d", next.Attempts)
		}
	}
	if next.Status == prev.Status {
		return
	}
	switch next.Status {
	case orchestrator.OpSucceeded:
		took := ""
		if next.StartedAt != nil && next.FinishedAt != nil {
			took = fmt.Sprintf(" in %s", next.FinishedAt.Sub(*next.StartedAt).Round(10*time.Millisecond))
		}
		say("Operation succeeded%s%s", took, retriedOf(next))
		if d := next.Details; d.Endpoint != "" || d.AllocID != "" {
			say("Engine at %s%s", dash(d.Endpoint), placement(d.AllocID, d.NodeID))
		}
	case orchestrator.OpFailed:
		say("Operation failed%s: %s", retriedOf(next), dash(opError(next)))
		for _, d := range next.ErrorDetails {
			say("  [%d] %s %s", d.Index, d.Field, d.Message)
		}
	default:
		say("Operation is %s%s", next.Status, attemptOf(next))
	}
}

// gameChanges reports what changed in a game's runtime while an operation runs.
func gameChanges(prev, next *orchestrator.Runtime, say func(string, ...any)) {
	if prev == nil {
		prev = &orchestrator.Runtime{}
	}
	if next.Status != prev.Status {
		say("Game status %s", next.Status)
	}
	if next.EngineHealth != prev.EngineHealth && next.EngineHealth != "" {
		say("Engine health %s", next.EngineHealth)
	}
	if (next.AllocID != prev.AllocID || next.NodeID != prev.NodeID) && (next.AllocID != "" || next.NodeID != "") {
		say("Engine placed:%s", placement(next.AllocID, next.NodeID))
	}
	if next.CurrentTurn != prev.CurrentTurn {
		say("Turn %d generated", next.CurrentTurn)
	}
	if next.Paused != prev.Paused {
		say("Game paused %t", next.Paused)
	}
	if next.LastError != prev.LastError && next.LastError != "" {
		say("Game error: %s", next.LastError)
	}
}

// placement renders " allocation A on node N", leaving out what is unknown.
func placement(alloc, node string) string {
	s := ""
	if alloc != "" {
		s += " allocation " + alloc
	}
	if node != "" {
		s += " on node " + node
	}
	return s
}

// printOp shows one operation for people.
func printOp(w io.Writer, op *orchestrator.Operation) error {
	attempts, turn := "", ""
	if op.Attempts > 0 {
		attempts = strconv.Itoa(op.Attempts)
	}
	if op.Details.Turn != 0 {
		turn = strconv.Itoa(op.Details.Turn)
	}
	if err := keyValues(w, [][2]string{
		{"ID", op.ID.String()},
		{"Game", op.GameID.String()},
		{"Op", string(op.Op)},
		{"Source", string(op.Source)},
		{"Status", op.Status},
		{"From status", op.FromStatus},
		{"Attempts", attempts},
		{"Retry at", optional(op.RetryAt)},
		{"Error", opError(op)},
		{"Version", op.Details.Version},
		{"Image", op.Details.ImageRef},
		{"Turn", turn},
		{"Endpoint", op.Details.Endpoint},
		{"Allocation", op.Details.AllocID},
		{"Node", op.Details.NodeID},
		{"Created", optional(&op.CreatedAt)},
		{"Started", optional(op.StartedAt)},
		{"Finished", optional(op.FinishedAt)},
	}); err != nil {
		return err
	}
	for _, d := range op.ErrorDetails {
		fmt.Fprintf(w, "  [%d] %s %s\n", d.Index, d.Field, d.Message)
	}
	return nil
}
