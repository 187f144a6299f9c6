package orchestrator

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// MaxOrders bounds the orders of one submission.
const MaxOrders = 1000

// PlayerProxy implements PlayerService: it forwards players' calls to their game's
// running engine, never starting one, and keeps the engine's health honest.
type PlayerProxy struct {
	*deps
	turns   *TurnEngine
	monitor *Monitor
}

var (
	_ PlayerService = (*PlayerProxy)(nil)
	_ ViewService   = (*PlayerProxy)(nil)
)

// player resolves a game, its runtime and the user's race, or the coded error the
// player routes promise.
func (s *PlayerProxy) player(ctx context.Context, gameID, userID uuid.UUID) (*Game, *Runtime, *Player, error) {
	g, r, err := s.load(ctx, gameID)
	if err != nil {
		return nil, nil, nil, err
	}
	if r.Status == StatusRemoved {
		return nil, nil, nil, Errorf(ENOTFOUND, "game %s was removed", gameID)
	}
	p := g.Player(userID)
	if p == nil {
		return nil, nil, nil, Errorf(EFORBIDDEN, "user %s is not a player of game %s", userID, gameID)
	}
	return g, r, p, nil
}

// SubmitOrders implements PlayerService. in.Turn must name the open turn. When every
// race has marked its orders final and the game has EarlyTurn, the turn runs at once.
func (s *PlayerProxy) SubmitOrders(ctx context.Context, gameID, userID uuid.UUID, in OrdersInput) (*engine.OrdersResult, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	g, r, p, err := s.player(ctx, gameID, userID)
	if err != nil {
		return nil, err
	}
	if err := r.AcceptOrders(); err != nil {
		return nil, err
	}
	if *in.Turn != r.CurrentTurn {
		return nil, &Error{Code: ECONFLICT, Field: "turn", Message: fmt.Sprintf("turn %d is not open; the open turn is %d", *in.Turn, r.CurrentTurn)}
	}
	orders := in.Orders
	if orders == nil {
		orders = []json.RawMessage{}
	}
	var res *engine.OrdersResult
	err = s.callEngine(ctx, g, r, func(ctx context.Context, c EngineClient) (err error) {
		res, err = c.SubmitOrders(ctx, engine.OrdersRequest{Actor: p.EnginePlayerID, Turn: *in.Turn, Orders: orders, Final: in.Final})
		return err
	})
	if err != nil {
		return nil, err
	}
	// Accepted orders are journalled before they are acknowledged: they must outlive
	// the engine's node until a snapshot after their turn is archived.
	if err := s.journal(ctx, gameID, p.EnginePlayerID, *in.Turn, in); err != nil {
		return nil, err
	}
	if res.AllFinal && g.EarlyTurn {
		if _, err := s.turns.enqueue(ctx, gameID, ActTurn, SourceScheduler); err != nil {
			s.log(gameID).Warn("cannot run the early turn", "error", err)
		}
	}
	return res, nil
}

// Command implements PlayerService.
func (s *PlayerProxy) Command(ctx context.Context, gameID, userID uuid.UUID, command json.RawMessage) (json.RawMessage, error) {
	if len(command) == 0 || string(command) == "null" {
		return nil, FieldErrorf("command", "command is required")
	}
	g, r, p, err := s.player(ctx, gameID, userID)
	if err != nil {
		return nil, err
	}
	if err := r.AcceptOrders(); err != nil {
		return nil, err
	}
	var out json.RawMessage
	err = s.callEngine(ctx, g, r, func(ctx context.Context, c EngineClient) (err error) {
		out, err = c.Command(ctx, engine.CommandRequest{Actor: p.EnginePlayerID, Command: command})
		return err
	})
	return out, err
}

// Report implements PlayerService. Without q.Turn it is the last generated turn's.
// Reports stay readable while a game is paused or finished, as long as its engine runs.
func (s *PlayerProxy) Report(ctx context.Context, gameID, userID uuid.UUID, q ReportQuery) (json.RawMessage, error) {
	if q.Turn != nil && *q.Turn < 0 {
		return nil, FieldErrorf("turn", "turn must not be negative")
	}
	g, r, p, err := s.player(ctx, gameID, userID)
	if err != nil {
		return nil, err
	}
	if err := r.AcceptReports(); err != nil {
		return nil, err
	}
	turn := r.CurrentTurn
	if q.Turn != nil {
		turn = *q.Turn
	}
	if turn > r.CurrentTurn {
		return nil, &Error{Code: ENOTFOUND, Field: "turn", Message: fmt.Sprintf("turn %d has not been generated; the last one is %d", turn, r.CurrentTurn)}
	}
	if r.Status == StatusAsleep && q.Format != ReportText {
		// A sleeping game's reports are in its archived snapshots: no wake needed.
		if out, ok := s.archivedReport(ctx, r, p.EnginePlayerID, turn); ok {
			return out, nil
		}
	}
	var out json.RawMessage
	err = s.callEngine(ctx, g, r, func(ctx context.Context, c EngineClient) (err error) {
		if q.Format == ReportText {
			out, err = c.ReportText(ctx, p.EnginePlayerID, turn)
		} else {
			out, err = c.Report(ctx, p.EnginePlayerID, turn)
		}
		return err
	})
	return out, err
}

// archivedReport returns the race's report of turn from the snapshot archived after
// it, if the archive holds one with reports.
func (s *PlayerProxy) archivedReport(ctx context.Context, r *Runtime, actor uuid.UUID, turn int) (json.RawMessage, bool) {
	if s.Archive == nil || !r.archived(turn) {
		return nil, false
	}
	doc, _, err := s.Archive.Snapshot(ctx, r.GameID, r.ArchiveLine, turn)
	if err != nil {
		return nil, false
	}
	snap, err := engine.ParseSnapshot(doc)
	if err != nil {
		return nil, false
	}
	rep, ok := snap.Reports[actor]
	return rep, ok && len(rep) > 0
}

// TurnFigures implements ViewService.
func (s *PlayerProxy) TurnFigures(ctx context.Context, gameID uuid.UUID) ([]*TurnFigures, error) {
	var out []*TurnFigures
	err := s.Store.View(ctx, func(tx Tx) error {
		if _, err := tx.Game(gameID); err != nil {
			return err
		}
		var err error
		out, err = tx.TurnFigures(gameID, 0, 0)
		return err
	})
	return out, err
}

// EngineState implements ViewService: the state document of the engine's snapshot.
func (s *PlayerProxy) EngineState(ctx context.Context, gameID uuid.UUID) (json.RawMessage, error) {
	g, r, err := s.load(ctx, gameID)
	if err != nil {
		return nil, err
	}
	if err := r.AcceptReports(); err != nil {
		return nil, err
	}
	var doc []byte
	err = s.callEngine(ctx, g, r, func(ctx context.Context, c EngineClient) (err error) {
		doc, _, err = c.Snapshot(ctx, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	snap, err := engine.ParseSnapshot(doc)
	if err != nil {
		return nil, Errorf(EENGINE, "the engine answered an unreadable snapshot")
	}
	return snap.State, nil
}

// callEngine runs one player call against the game's running engine, bounded by
// PlayerTimeout. Player traffic never starts an engine: when none runs the call fails at
// once with EUNAVAILABLE (the API adds Retry-After), and (re)starts stay with operations
// and the driver's backoff. A sleeping game is woken (awake), and a call that found its
// engine gone because the game was being put to sleep waits for the sleep and is made
// again on the woken engine. The call's outcome keeps the engine's health honest.
func (s *PlayerProxy) callEngine(ctx context.Context, g *Game, r *Runtime, call func(context.Context, EngineClient) error) error {
	// Only a call that found the game awake is made again: one that already waited for
	// a wake has had its bound (Idle.WakeTimeout).
	awake := r.Status != StatusAsleep && s.waker.sleepUnderWay(g.ID) == nil
	err := s.callOnce(ctx, g, r, call)
	if err != nil && awake && (ErrorCode(err) == EUNAVAILABLE || isUnreachable(err)) && ctx.Err() == nil {
		// callOnce waits for a sleep under way and wakes a sleeping game.
		if _, cur, lerr := s.load(ctx, g.ID); lerr == nil && (cur.Status == StatusAsleep || s.waker.sleepUnderWay(g.ID) != nil) {
			return s.callOnce(ctx, g, cur, call)
		}
	}
	switch {
	case isUnreachable(err) && ctx.Err() == nil:
		s.monitor.setHealth(g.ID, HealthCritical)
	case err == nil && r.EngineHealth != HealthPassing:
		s.monitor.setHealth(g.ID, HealthPassing)
	}
	return err
}

// callOnce makes the call once, on the engine of a game that runs or has been woken.
func (s *PlayerProxy) callOnce(ctx context.Context, g *Game, r *Runtime, call func(context.Context, EngineClient) error) error {
	if r.Status == StatusAsleep || s.waker.sleepUnderWay(g.ID) != nil {
		var err error
		if r, err = s.awake(ctx, g, r, SourceLobby); err != nil {
			return err
		}
	}
	s.activity.touch(g.ID, s.Clock.Now())
	token, err := s.secret(ctx, g.ID)
	if err != nil {
		return err
	}
	ep, err := s.Discovery.Endpoint(ctx, g.ID)
	if ErrorCode(err) == EUNAVAILABLE {
		return Errorf(EUNAVAILABLE, "the game's engine is not running right now; retry shortly")
	} else if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, s.PlayerTimeout)
	defer cancel()
	raw := call(cctx, s.Engines(ep, token))
	err = engineError(raw)
	if ErrorCode(err) == EENGINE {
		// An engine's own failure may name its internals (paths, state); players get
		// the fact, the log gets the words. 4xx answers are about the player's input
		// and keep the engine's message and per-order details.
		s.log(g.ID).Warn("engine failed a player call", "error", raw)
		err = Errorf(EENGINE, "the game's engine failed to handle the request")
	}
	return err
}
