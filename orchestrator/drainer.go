package orchestrator

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// NodeService shows the cluster's nodes with their games and starts drains (admin).
type NodeService interface {
	// Nodes returns the nodes as last seen, each with the number of games on it.
	// Errors: EUNAVAILABLE (no cluster driver, or it cannot be asked).
	Nodes(ctx context.Context) ([]*Node, error)
	// Drain starts a drain of the node; galaxyd then moves its games off it.
	// Errors: ENOTFOUND, EUNAVAILABLE.
	Drain(ctx context.Context, nodeID string, deadline time.Duration) error
}

// Drainer follows the cluster's nodes and moves games off the ones leaving (DESIGN
// §10): when a node holding games is drained or made ineligible, each of its games is
// transferred to another node, at most MaxParallel at a time, and says so in its
// operation log; when a node has been down for NodeLostAfter, its games are restored
// elsewhere from the archive and the journal (the fencing rule: the old placement is
// released, or its node known down, before a new engine starts — see execTransfer);
// when a lost node comes back, what it still holds of moved games is deleted.
type Drainer struct {
	Driver  NodeDriver
	Store   Store
	Archive ArchiveService
	Logger  hclog.Logger
	Clock   Clock
	// MaxParallel bounds the transfers under way (default 4); NodeLostAfter is how long
	// a node may be down before its games are restored elsewhere (default 5 min).
	MaxParallel   int
	NodeLostAfter time.Duration
	// PassInterval is how often the drainer looks again while games are still to be
	// moved (default 1 s): the next transfers are queued as soon as earlier ones end,
	// so a drain takes about games/MaxParallel transfer times, not passes.
	PassInterval time.Duration
	// RetryAfter is how long a game the drainer queued for a move waits before it is
	// queued again while still on a leaving node (default 1 min), doubled at each
	// further try up to an hour: a move that keeps failing (no node takes the game, its
	// engine does not come up) is retried at that pace, not at every pass.
	RetryAfter time.Duration

	mu    sync.Mutex
	nodes map[string]*Node // as last seen; DownSince is ours
	// acting serialises act: two passes at once would both see a game not yet busy
	// and move it twice.
	acting sync.Mutex
	// moving tells the pass loop that games are left to move.
	moving chan struct{}
	// queued is each game on a leaving node that was queued for a move: when, and how
	// many times (under acting).
	queued map[uuid.UUID]moveTry

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ NodeService = (*Drainer)(nil)

// NewDrainer returns a drainer of the nodes of driver with its defaults.
func NewDrainer(driver NodeDriver, store Store, archive ArchiveService) *Drainer {
	return &Drainer{Driver: driver, Store: store, Archive: archive, Logger: hclog.NewNullLogger(), Clock: SystemClock{},
		MaxParallel: 4, NodeLostAfter: 5 * time.Minute, PassInterval: time.Second, RetryAfter: time.Minute,
		nodes: map[string]*Node{}}
}

// Open starts following the nodes; Close stops.
func (d *Drainer) Open() error {
	d.queued = map[uuid.UUID]moveTry{}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.moving = make(chan struct{}, 1)
	d.wg.Add(2)
	go func() {
		defer d.wg.Done()
		backoff := time.Second
		for d.ctx.Err() == nil {
			err := d.Driver.WatchNodes(d.ctx, d.seen)
			if d.ctx.Err() != nil {
				return
			}
			d.Logger.Warn("node watch ended; following again", "error", err, "backoff", backoff)
			if !d.sleep(backoff) {
				return
			}
			backoff = min(2*backoff, time.Minute)
		}
	}()
	// A node that stays down sends no news, and transfers end without any: look
	// again, every PassInterval while games are still to move.
	go func() {
		defer d.wg.Done()
		idle := max(d.NodeLostAfter/4, time.Second)
		pass := max(d.PassInterval, 10*time.Millisecond)
		wait := idle
		for {
			t := d.Clock.NewTimer(wait)
			select {
			case <-d.ctx.Done():
				t.Stop()
				return
			case <-d.moving: // a pass on node news left games to move
				t.Stop()
				wait = pass
				continue
			case <-t.C():
			}
			wait = idle
			if d.act() {
				wait = pass
			}
		}
	}()
	return nil
}

// Close stops following the nodes and waits.
func (d *Drainer) Close() {
	if d.cancel != nil {
		d.cancel()
		d.wg.Wait()
	}
}

func (d *Drainer) sleep(wait time.Duration) bool {
	t := d.Clock.NewTimer(wait)
	defer t.Stop()
	select {
	case <-d.ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

// seen records the nodes as the driver reports them, then acts on them.
func (d *Drainer) seen(nodes []*Node) {
	now := d.Clock.Now()
	d.mu.Lock()
	first := len(d.nodes) == 0
	next := make(map[string]*Node, len(nodes))
	var back []string
	for _, n := range nodes {
		n := *n
		old := d.nodes[n.ID]
		switch {
		case n.Status != "down":
			n.DownSince = nil
			// A node back from down, and every node up at the first list (galaxyd may
			// have restarted while one was down), may hold what moved games left.
			if first || old != nil && old.Status == "down" {
				back = append(back, n.ID)
			}
		case old != nil && old.DownSince != nil:
			n.DownSince = old.DownSince
		default:
			n.DownSince = &now
		}
		next[n.ID] = &n
	}
	d.nodes = next
	d.mu.Unlock()
	for _, id := range back {
		d.releaseStale(id)
	}
	if d.act() {
		select {
		case d.moving <- struct{}{}:
		default:
		}
	}
}

// leaving reports whether games must move off n now.
func (d *Drainer) leaving(n *Node, now time.Time) bool {
	return n.Draining || !n.Eligible && n.Status != "down" || n.DownSince != nil && now.Sub(*n.DownSince) >= d.NodeLostAfter
}

// act queues transfers for the games of leaving nodes, within MaxParallel, and
// reports whether games are still to move or moving.
func (d *Drainer) act() bool {
	d.acting.Lock()
	defer d.acting.Unlock()
	now := d.Clock.Now()
	d.mu.Lock()
	leaving := map[string]bool{}
	for id, n := range d.nodes {
		if d.leaving(n, now) {
			leaving[id] = true
		}
	}
	d.mu.Unlock()
	if len(leaving) == 0 {
		return false
	}
	var games []uuid.UUID
	onLeaving := map[uuid.UUID]bool{}
	inFlight := 0
	if err := d.Store.View(d.ctx, func(tx Tx) error {
		pending, err := tx.PendingOperations()
		if err != nil {
			return err
		}
		busy := map[uuid.UUID]bool{}
		for _, op := range pending {
			busy[op.GameID] = true
			if op.Op == OpTransfer {
				inFlight++
			}
		}
		// Only the runtimes on leaving nodes are decoded whole.
		rs, _, err := tx.ScanRuntimes(uuid.Nil, func(k RuntimeKey) bool {
			return leaving[k.NodeID] && Transitions(ActTransfer, k.Status).Allowed()
		}, -1, -1)
		for _, r := range rs {
			onLeaving[r.GameID] = true
			// A game whose engine has no snapshots cannot be moved: its state lives
			// only on its node (the runtime says so).
			if !busy[r.GameID] && !r.SnapshotsUnsupported {
				games = append(games, r.GameID)
			}
		}
		return err
	}); err != nil {
		if d.ctx.Err() == nil {
			d.Logger.Warn("cannot look for games on leaving nodes", "error", err)
		}
		return true
	}
	for id := range d.queued {
		if !onLeaving[id] {
			delete(d.queued, id) // moved off, or removed
		}
	}
	for _, id := range games {
		try := d.queued[id]
		if try.n > 0 && now.Before(try.at.Add(d.retryDelay(try.n))) {
			continue // tried lately: a later pass (at the latest the idle one) tries again
		}
		if inFlight >= d.MaxParallel {
			return true // the next pass takes the rest
		}
		d.queued[id] = moveTry{at: now, n: try.n + 1}
		if _, err := d.Archive.Transfer(d.ctx, id, "", SourceDrainer); err != nil {
			d.Logger.Warn("cannot move a game off its leaving node", "game_id", id, "error", err)
			continue
		}
		d.Logger.Info("moving a game off its leaving node", "game_id", id)
		inFlight++
	}
	return inFlight > 0
}

// moveTry is when a game was last queued for a move off a leaving node, and how many
// times it has been.
type moveTry struct {
	at time.Time
	n  int
}

// retryDelay is how long the drainer waits after the n-th move of a game that is still
// on a leaving node: RetryAfter, doubled with each try, at most an hour.
func (d *Drainer) retryDelay(n int) time.Duration {
	delay := d.RetryAfter
	for i := 1; i < n && delay < time.Hour; i++ {
		delay *= 2
	}
	return min(delay, time.Hour)
}

// releaseStale deletes what a node that came back holds of games placed elsewhere.
func (d *Drainer) releaseStale(nodeID string) {
	here := map[uuid.UUID]bool{}
	if err := d.Store.View(d.ctx, func(tx Tx) error {
		rs, _, err := tx.ScanRuntimes(uuid.Nil, func(k RuntimeKey) bool { return k.NodeID == nodeID }, -1, -1)
		for _, r := range rs {
			here[r.GameID] = true
		}
		return err
	}); err != nil {
		return
	}
	n, err := d.Driver.ReleaseStale(d.ctx, nodeID, func(id uuid.UUID) bool { return here[id] })
	if err != nil {
		d.Logger.Warn("cannot release what a node that came back holds of moved games", "node_id", nodeID, "error", err)
	} else if n > 0 {
		d.Logger.Info("released the volumes of moved games on a node that came back", "node_id", nodeID, "volumes", n)
	}
}

// Nodes implements NodeService.
func (d *Drainer) Nodes(ctx context.Context) ([]*Node, error) {
	d.mu.Lock()
	out := make([]*Node, 0, len(d.nodes))
	for _, n := range d.nodes {
		c := *n
		c.Games = 0
		out = append(out, &c)
	}
	d.mu.Unlock()
	if len(out) == 0 {
		nodes, err := d.Driver.Nodes(ctx)
		if err != nil {
			return nil, err
		}
		out = nodes
	}
	byID := map[string]*Node{}
	for _, n := range out {
		byID[n.ID] = n
	}
	if err := d.Store.View(ctx, func(tx Tx) error {
		// Counted from the runtimes' keys: no record is decoded whole.
		_, _, err := tx.ScanRuntimes(uuid.Nil, func(k RuntimeKey) bool {
			// The games whose engine should run there, and those a drain moves off it.
			if n := byID[k.NodeID]; n != nil && (statusRules[k.Status].active || Transitions(ActTransfer, k.Status).Allowed()) {
				n.Games++
			}
			return false
		}, -1, -1)
		return err
	}); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].ID < out[j].ID
	})
	return out, nil
}

// Drain implements NodeService.
func (d *Drainer) Drain(ctx context.Context, nodeID string, deadline time.Duration) error {
	if nodeID == "" {
		return FieldErrorf("node", "node is required")
	}
	return d.Driver.DrainNode(ctx, nodeID, deadline)
}
