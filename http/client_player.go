package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// SubmitOrders implements orchestrator.PlayerService: POST /api/v1/games/{id}/orders on
// behalf of userID (X-Galaxy-User).
func (c *Client) SubmitOrders(ctx context.Context, gameID, userID uuid.UUID, in orchestrator.OrdersInput) (*engine.OrdersResult, error) {
	if in.Orders == nil {
		in.Orders = []json.RawMessage{} // the API wants an array, as in-process nil means none
	}
	var res engine.OrdersResult
	if _, err := c.call(ctx, request{method: "POST", path: gamePath(gameID, "/orders"), header: userHeader(userID), body: in}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Command implements orchestrator.PlayerService: POST /api/v1/games/{id}/commands; the
// engine's answer comes back as it gave it.
func (c *Client) Command(ctx context.Context, gameID, userID uuid.UUID, command json.RawMessage) (json.RawMessage, error) {
	a, err := c.do(ctx, request{method: "POST", path: gamePath(gameID, "/commands"), header: userHeader(userID), body: CommandRequest{Command: command}})
	if err != nil {
		return nil, err
	}
	return json.RawMessage(a.body), nil
}

// Report implements orchestrator.PlayerService: GET /api/v1/games/{id}/report, the
// engine's report as it gave it (q.Turn nil: the last generated turn): JSON, or with
// q.Format ReportText the GalaxyNG text layout, as ReportText checks it.
func (c *Client) Report(ctx context.Context, gameID, userID uuid.UUID, q orchestrator.ReportQuery) (json.RawMessage, error) {
	if q.Format == orchestrator.ReportText {
		return c.ReportText(ctx, gameID, userID, q)
	}
	a, err := c.do(ctx, request{method: "GET", path: gamePath(gameID, "/report"), header: userHeader(userID), query: reportQuery(q)})
	if err != nil {
		return nil, err
	}
	return json.RawMessage(a.body), nil
}

// ReportText returns the report in the engine's GalaxyNG text layout:
// GET /api/v1/games/{id}/report?format=text. An older galaxyd that does not serve
// text reports answers JSON to that; ReportText then returns an error matching
// errors.ErrUnsupported.
func (c *Client) ReportText(ctx context.Context, gameID, userID uuid.UUID, q orchestrator.ReportQuery) ([]byte, error) {
	q.Format = orchestrator.ReportText
	a, err := c.do(ctx, request{method: "GET", path: gamePath(gameID, "/report"), header: userHeader(userID), query: reportQuery(q), accept: "text/plain"})
	if err != nil {
		return nil, err
	}
	if !isMediaType(a.header.Get("Content-Type"), "text/plain") {
		return nil, fmt.Errorf("this galaxyd does not serve text reports (GET /api/v1/games/{id}/report?format=text answered %s): %w",
			a.header.Get("Content-Type"), errors.ErrUnsupported)
	}
	return a.body, nil
}

func reportQuery(q orchestrator.ReportQuery) url.Values {
	v := url.Values{}
	if q.Turn != nil {
		v.Set("turn", strconv.Itoa(*q.Turn))
	}
	if q.Format != "" && q.Format != orchestrator.ReportJSON {
		v.Set("format", q.Format)
	}
	return v
}

func userHeader(userID uuid.UUID) http.Header {
	return http.Header{UserHeader: {userID.String()}}
}
