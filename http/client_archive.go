package http

import (
	"context"
	"encoding/json"
	"io"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// TurnFigures implements orchestrator.ViewService: GET /api/v1/games/{id}/turns, the
// races' figures after every turn, oldest first.
func (c *Client) TurnFigures(ctx context.Context, gameID uuid.UUID) ([]*orchestrator.TurnFigures, error) {
	var l TurnFiguresList
	if _, err := c.call(ctx, request{method: "GET", path: gamePath(gameID, "/turns")}, &l); err != nil {
		return nil, err
	}
	return l.Turns, nil
}

// EngineState implements orchestrator.ViewService: GET /api/v1/games/{id}/state
// (admin), the engine's whole state as it gave it.
func (c *Client) EngineState(ctx context.Context, gameID uuid.UUID) (json.RawMessage, error) {
	a, err := c.do(ctx, request{method: "GET", path: gamePath(gameID, "/state")})
	if err != nil {
		return nil, err
	}
	return json.RawMessage(a.body), nil
}

// Rollback implements orchestrator.ArchiveService: POST /api/v1/games/{id}/rollback
// (admin) queues a rollback to the archived turn on line (nil: the current line).
func (c *Client) Rollback(ctx context.Context, id uuid.UUID, turn int, line *int, _ orchestrator.Source) (*orchestrator.Operation, error) {
	return c.queue(ctx, "POST", gamePath(id, "/rollback"), RollbackRequest{Turn: &turn, Line: line})
}

// Transfer implements orchestrator.ArchiveService: POST /api/v1/games/{id}/transfer
// (admin) queues a move of the game's engine to node ("": any other node).
func (c *Client) Transfer(ctx context.Context, id uuid.UUID, node string, _ orchestrator.Source) (*orchestrator.Operation, error) {
	return c.queue(ctx, "POST", gamePath(id, "/transfer"), TransferRequest{Node: node})
}

// Export implements orchestrator.ArchiveService: GET /api/v1/games/{id}/export (admin)
// streams the game's tar (its record and every archived snapshot) to w. As with
// Backup, an error means the tar is incomplete.
func (c *Client) Export(ctx context.Context, id uuid.UUID, w io.Writer) error {
	_, err := c.download(ctx, gamePath(id, "/export"), "application/x-tar", w)
	return err
}

// Import implements orchestrator.ArchiveService: POST /api/v1/games/import (admin)
// sends an exported game's tar and returns the game it recreated, stopped.
func (c *Client) Import(ctx context.Context, r io.Reader) (*orchestrator.GameView, error) {
	var v orchestrator.GameView
	if _, err := c.call(ctx, request{method: "POST", path: "/api/v1/games/import", upload: r, contentType: "application/x-tar"}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
