package orchestrator

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Node is a machine engines run on, as a cluster driver sees it (DESIGN §10: drain and
// node loss). The local driver has no nodes.
type Node struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Status is the cluster's: "ready", "down", "initializing", "disconnected".
	Status string `json:"status"`
	// Eligible is false when the node takes no new engines (marked ineligible, or
	// draining).
	Eligible bool `json:"eligible"`
	Draining bool `json:"draining"`
	// DownSince is when the driver first saw the node down (nil while it is not).
	DownSince *time.Time `json:"downSince,omitempty"`
	// Games is the number of games whose engine runs there (filled by the orchestrator).
	Games int `json:"games"`
}

// NodeDriver is what a cluster driver adds for nodes: the nodes as they change
// (followed with blocking queries), and a drain that Nomad carries out. Errors:
// EUNAVAILABLE when the cluster cannot be asked, ENOTFOUND for an unknown node.
type NodeDriver interface {
	// Nodes returns every node of the pool engines run in.
	Nodes(ctx context.Context) ([]*Node, error)
	// WatchNodes calls fn with every node each time one changes, until ctx ends; it
	// returns ctx's error. fn must not block for long.
	WatchNodes(ctx context.Context, fn func([]*Node)) error
	// DrainNode starts a drain of the node (deadline: how long Nomad lets allocations
	// stay before it stops them; 0 for its default). galaxyd then moves its games.
	DrainNode(ctx context.Context, nodeID string, deadline time.Duration) error
	// ReleaseStale deletes what the node still holds of games that run elsewhere now
	// (the volumes left on a node that was lost, once it is back); keep says which
	// games run there. It returns how many it released.
	ReleaseStale(ctx context.Context, nodeID string, placedHere func(gameID uuid.UUID) bool) (int, error)
}
