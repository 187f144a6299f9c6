package http

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// CreateGame implements orchestrator.GameService: POST /api/v1/games, with idemKey in
// the Idempotency-Key header when it is not empty. created is false for a replay of an
// earlier create with the same key and body (200 instead of 201).
func (c *Client) CreateGame(ctx context.Context, in orchestrator.GameInput, idemKey string) (*orchestrator.GameView, bool, error) {
	h := http.Header{}
	if idemKey != "" {
		h.Set(IdempotencyKeyHeader, idemKey)
	}
	var v orchestrator.GameView
	status, err := c.call(ctx, request{method: "POST", path: "/api/v1/games", header: h, body: in}, &v)
	if err != nil {
		return nil, false, err
	}
	return &v, status == http.StatusCreated, nil
}

// Game implements orchestrator.GameService: GET /api/v1/games/{id}.
func (c *Client) Game(ctx context.Context, id uuid.UUID) (*orchestrator.GameView, error) {
	var v orchestrator.GameView
	if _, err := c.call(ctx, request{method: "GET", path: gamePath(id, "")}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Games implements orchestrator.GameService: one page of GET /api/v1/games, filtered
// by the server; page.Next, when set, is the next page's After.
func (c *Client) Games(ctx context.Context, f orchestrator.GameFilter) (*orchestrator.GamePage, error) {
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if f.Paused != nil {
		q.Set("paused", strconv.FormatBool(*f.Paused))
	}
	if f.Node != "" {
		q.Set("node", f.Node)
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.After != uuid.Nil {
		q.Set("after", f.After.String())
	}
	var l GameList
	if _, err := c.call(ctx, request{method: "GET", path: "/api/v1/games", query: q}, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// EachGame yields every game that passes f and sorts after f.After, in ID order,
// following the server's pages of f.Limit games (MaxListLimit when 0) until one comes
// back without a next cursor. The first error ends the sequence.
func (c *Client) EachGame(ctx context.Context, f orchestrator.GameFilter) iter.Seq2[*orchestrator.GameView, error] {
	if f.Limit <= 0 || f.Limit > MaxListLimit {
		f.Limit = MaxListLimit
	}
	return func(yield func(*orchestrator.GameView, error) bool) {
		for {
			page, err := c.Games(ctx, f)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, g := range page.Games {
				if !yield(g, nil) {
					return
				}
			}
			if page.Next == uuid.Nil {
				return
			}
			f.After = page.Next
		}
	}
}

// Start implements orchestrator.GameService: POST /api/v1/games/{id}/start.
func (c *Client) Start(ctx context.Context, id uuid.UUID, _ orchestrator.Source) (*orchestrator.Operation, error) {
	return c.queue(ctx, "POST", gamePath(id, "/start"), nil)
}

// Stop implements orchestrator.GameService: POST /api/v1/games/{id}/stop.
func (c *Client) Stop(ctx context.Context, id uuid.UUID, _ orchestrator.Source) (*orchestrator.Operation, error) {
	return c.queue(ctx, "POST", gamePath(id, "/stop"), nil)
}

// Restart implements orchestrator.GameService: POST /api/v1/games/{id}/restart (admin).
func (c *Client) Restart(ctx context.Context, id uuid.UUID, _ orchestrator.Source) (*orchestrator.Operation, error) {
	return c.queue(ctx, "POST", gamePath(id, "/restart"), nil)
}

// Sleep implements orchestrator.GameService: POST /api/v1/games/{id}/sleep (admin).
func (c *Client) Sleep(ctx context.Context, id uuid.UUID, _ orchestrator.Source) (*orchestrator.Operation, error) {
	return c.queue(ctx, "POST", gamePath(id, "/sleep"), nil)
}

// Wake implements orchestrator.GameService: POST /api/v1/games/{id}/wake (admin).
func (c *Client) Wake(ctx context.Context, id uuid.UUID, _ orchestrator.Source) (*orchestrator.Operation, error) {
	return c.queue(ctx, "POST", gamePath(id, "/wake"), nil)
}

// ForceNextTurn implements orchestrator.GameService: POST
// /api/v1/games/{id}/force-next-turn (admin).
func (c *Client) ForceNextTurn(ctx context.Context, id uuid.UUID, _ orchestrator.Source) (*orchestrator.Operation, error) {
	return c.queue(ctx, "POST", gamePath(id, "/force-next-turn"), nil)
}

// Patch implements orchestrator.GameService: POST /api/v1/games/{id}/patch (admin).
func (c *Client) Patch(ctx context.Context, id uuid.UUID, version string, _ orchestrator.Source) (*orchestrator.Operation, error) {
	return c.queue(ctx, "POST", gamePath(id, "/patch"), PatchRequest{Version: version})
}

// Remove implements orchestrator.GameService: DELETE /api/v1/games/{id} (admin).
func (c *Client) Remove(ctx context.Context, id uuid.UUID, _ orchestrator.Source) (*orchestrator.Operation, error) {
	return c.queue(ctx, "DELETE", gamePath(id, ""), nil)
}

// queue sends a call that answers 202 with the queued operation.
func (c *Client) queue(ctx context.Context, method, path string, body any) (*orchestrator.Operation, error) {
	var op orchestrator.Operation
	if _, err := c.call(ctx, request{method: method, path: path, body: body}, &op); err != nil {
		return nil, err
	}
	return &op, nil
}

// Pause implements orchestrator.GameService: POST /api/v1/games/{id}/pause.
func (c *Client) Pause(ctx context.Context, id uuid.UUID, _ orchestrator.Source) (*orchestrator.GameView, error) {
	return c.flip(ctx, id, "/pause")
}

// Resume implements orchestrator.GameService: POST /api/v1/games/{id}/resume.
func (c *Client) Resume(ctx context.Context, id uuid.UUID, _ orchestrator.Source) (*orchestrator.GameView, error) {
	return c.flip(ctx, id, "/resume")
}

func (c *Client) flip(ctx context.Context, id uuid.UUID, suffix string) (*orchestrator.GameView, error) {
	var v orchestrator.GameView
	if _, err := c.call(ctx, request{method: "POST", path: gamePath(id, suffix)}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Operations implements orchestrator.GameService: GET /api/v1/games/{id}/operations
// (admin), newest first; limit 0 means the server's default (100), at most
// MaxListLimit. The API has no cursor here: older operations than the limit are not
// reachable.
func (c *Client) Operations(ctx context.Context, gameID uuid.UUID, limit int) ([]*orchestrator.Operation, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var l OperationList
	if _, err := c.call(ctx, request{method: "GET", path: gamePath(gameID, "/operations"), query: q}, &l); err != nil {
		return nil, err
	}
	return l.Operations, nil
}

// Operation implements orchestrator.GameService: GET /api/v1/operations/{id} (admin).
func (c *Client) Operation(ctx context.Context, id uuid.UUID) (*orchestrator.Operation, error) {
	var op orchestrator.Operation
	if _, err := c.call(ctx, request{method: "GET", path: "/api/v1/operations/" + id.String()}, &op); err != nil {
		return nil, err
	}
	return &op, nil
}

// gamePath is /api/v1/games/{id} followed by suffix.
func gamePath(id uuid.UUID, suffix string) string {
	return "/api/v1/games/" + id.String() + suffix
}
