package http

import (
	"context"
	"net/url"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// Nodes implements orchestrator.NodeService: GET /api/v1/nodes (admin).
func (c *Client) Nodes(ctx context.Context) ([]*orchestrator.Node, error) {
	var l NodeList
	if _, err := c.call(ctx, request{method: "GET", path: "/api/v1/nodes"}, &l); err != nil {
		return nil, err
	}
	return l.Nodes, nil
}

// Drain implements orchestrator.NodeService: POST /api/v1/nodes/{node}/drain (admin);
// deadline 0 leaves Nomad's default.
func (c *Client) Drain(ctx context.Context, nodeID string, deadline time.Duration) error {
	var in DrainRequest
	if deadline > 0 {
		in.Deadline = deadline.String()
	}
	_, err := c.call(ctx, request{method: "POST", path: "/api/v1/nodes/" + url.PathEscape(nodeID) + "/drain", body: in}, nil)
	return err
}
