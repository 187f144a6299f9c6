package orchestrator

import (
	"context"
	"encoding/json"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// MaxOrders bounds the orders of one submission.
const MaxOrders = 1000

// player resolves a game, its runtime and the user's race, or the coded error the
// player routes promise.
func (s *Service) player(ctx context.Context, gameID, userID uuid.UUID) (*Game, *Runtime, *Player, error) {
	g, r, err := s.load(ctx, gameID)
	if err != nil {
		return nil, nil, nil, err
	}
	p := g.Player(userID)
	if p == nil {
		return nil, nil, nil, Errorf(EFORBIDDEN, "user %s is not a player of game %s", userID, gameID)
	}
	return g, r, p, nil
}

// SubmitOrders implements PlayerService. Turn 0 means the open turn. When every race
// has marked its orders final and the game has EarlyTurn, the turn runs at once.
func (s *Service) SubmitOrders(ctx context.Context, gameID, userID uuid.UUID, in OrdersInput) (*engine.OrdersResult, error) {
	if len(in.Orders) > MaxOrders {
		return nil, FieldErrorf("orders", "at most %d orders per submission", MaxOrders)
	} else if in.Turn < 0 {
		return nil, FieldErrorf("turn", "turn must not be negative")
	}
	g, r, p, err := s.player(ctx, gameID, userID)
	if err != nil {
		return nil, err
	}
	if err := r.AcceptOrders(); err != nil {
		return nil, err
	}
	if in.Turn == 0 {
		in.Turn = r.CurrentTurn
	}
	c, err := s.engineFor(ctx, g, r)
	if err != nil {
		return nil, err
	}
	ctx2, cancel := context.WithTimeout(ctx, s.EngineTimeout)
	defer cancel()
	orders := in.Orders
	if orders == nil {
		orders = []json.RawMessage{}
	}
	res, err := c.SubmitOrders(ctx2, engine.OrdersRequest{Actor: p.EnginePlayerID, Turn: in.Turn, Orders: orders, Final: in.Final})
	if err != nil {
		return nil, engineError(err)
	}
	if res.AllFinal && g.EarlyTurn {
		if _, err := s.enqueueTurn(ctx, gameID, OpTurn, SourceScheduler); err != nil {
			s.log(gameID).Warn("cannot run the early turn", "error", err)
		}
	}
	return res, nil
}

// Command implements PlayerService.
func (s *Service) Command(ctx context.Context, gameID, userID uuid.UUID, command json.RawMessage) (json.RawMessage, error) {
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
	c, err := s.engineFor(ctx, g, r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.EngineTimeout)
	defer cancel()
	out, err := c.Command(ctx, engine.CommandRequest{Actor: p.EnginePlayerID, Command: command})
	return out, engineError(err)
}

// Report implements PlayerService. Turn 0 means the last generated turn. Reports stay
// readable while a game is paused or finished, as long as its engine runs.
func (s *Service) Report(ctx context.Context, gameID, userID uuid.UUID, turn int) (json.RawMessage, error) {
	if turn < 0 {
		return nil, FieldErrorf("turn", "turn must not be negative")
	}
	g, r, p, err := s.player(ctx, gameID, userID)
	if err != nil {
		return nil, err
	}
	if !r.Active() && r.Status != StatusFinished {
		return nil, Errorf(EUNAVAILABLE, "game %s is %s; its engine does not run", gameID, r.Status)
	}
	if turn == 0 {
		turn = r.CurrentTurn
	}
	c, err := s.engineFor(ctx, g, r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.EngineTimeout)
	defer cancel()
	out, err := c.Report(ctx, p.EnginePlayerID, turn)
	return out, engineError(err)
}
