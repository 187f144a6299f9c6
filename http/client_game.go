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

// Games implements orchestrator.GameService: one page of GET /api/v1/games. As
// in-process, the status filter applies after paging, so a page may hold fewer than
// f.Limit games while more follow; EachGame pages through all of them.
func (c *Client) Games(ctx context.Context, f orchestrator.GameFilter) ([]*orchestrator.GameView, error) {
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", f.Status)
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
	return l.Games, nil
}

// EachGame yields every game whose ID sorts after f.After, in ID order, following the
// API's pages of f.Limit games (MaxListLimit when 0) until one comes back short. The
// status filter is applied here rather than by the server: a page the server filtered
// down to nothing would leave no cursor to page on from. The first error ends the
// sequence.
func (c *Client) EachGame(ctx context.Context, f orchestrator.GameFilter) iter.Seq2[*orchestrator.GameView, error] {
	size := f.Limit
	if size <= 0 || size > MaxListLimit {
		size = MaxListLimit
	}
	return func(yield func(*orchestrator.GameView, error) bool) {
		after := f.After
		for {
			page, err := c.Games(ctx, orchestrator.GameFilter{Limit: size, After: after})
			if err != nil {
				yield(nil, err)
				return
			}
			for _, g := range page {
				after = g.ID
				if f.Status != "" && (g.Runtime == nil || g.Runtime.Status != f.Status) {
					continue
				}
				if !yield(g, nil) {
					return
				}
			}
			if len(page) < size {
				return
			}
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
