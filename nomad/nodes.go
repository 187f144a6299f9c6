package nomad

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/nomad/api"
)

var _ orchestrator.NodeDriver = (*Driver)(nil)

// DefaultDrainDeadline is the deadline of a DrainNode given none: what `nomad node
// drain -enable` uses.
const DefaultDrainDeadline = time.Hour

// drainMeta is recorded with a drain galaxyd starts (Node.LastDrain.Meta).
const drainMeta = "galaxy.drained_by"

// inScope reports whether a node is one the games may run on: in the configured node
// pool ("default" when unset, every pool for "all") and one of the configured
// datacenters (globs, as in the job).
func (d *Driver) inScope(pool, dc string) bool {
	want := orEmpty(d.cfg.NodePool, "default")
	if want != "all" && pool != want {
		return false
	}
	for _, p := range d.cfg.Datacenters {
		if ok, _ := path.Match(p, dc); ok {
			return true
		}
	}
	return false
}

// toNode is the orchestrator's view of a Nomad node: Eligible when it takes new
// allocations (eligible and not draining), Draining while a drain runs.
func toNode(n *api.NodeListStub) *orchestrator.Node {
	return &orchestrator.Node{
		ID: n.ID, Name: n.Name, Status: n.Status,
		Eligible: n.SchedulingEligibility == api.NodeSchedulingEligible && !n.Drain,
		Draining: n.Drain,
	}
}

// usable reports whether a node can take a new engine now.
func usable(n *api.NodeListStub) bool {
	return n.Status == api.NodeStatusReady && n.SchedulingEligibility == api.NodeSchedulingEligible && !n.Drain
}

// listNodes lists the nodes in scope (one call; blocking when index is set).
func (d *Driver) listNodes(ctx context.Context) ([]*api.NodeListStub, error) {
	var stubs []*api.NodeListStub
	err := d.call.short(ctx, "list nodes", func(ctx context.Context) (err error) {
		stubs, _, err = d.nodes.List(d.queryOpts(ctx, ""))
		return err
	})
	if err != nil {
		return nil, d.call.unavailable("list nodes", err)
	}
	return d.scoped(stubs), nil
}

func (d *Driver) scoped(stubs []*api.NodeListStub) []*api.NodeListStub {
	out := make([]*api.NodeListStub, 0, len(stubs))
	for _, n := range stubs {
		if n != nil && d.inScope(n.NodePool, n.Datacenter) {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].ID < out[j].ID
	})
	return out
}

func toNodes(stubs []*api.NodeListStub) []*orchestrator.Node {
	out := make([]*orchestrator.Node, len(stubs))
	for i, n := range stubs {
		out[i] = toNode(n)
	}
	return out
}

// Nodes implements orchestrator.NodeDriver: the nodes of the configured node pool and
// datacenters, sorted by name. Errors: EUNAVAILABLE.
func (d *Driver) Nodes(ctx context.Context) ([]*orchestrator.Node, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	stubs, err := d.listNodes(ctx)
	if err != nil {
		return nil, err
	}
	return toNodes(stubs), nil
}

// WatchNodes implements orchestrator.NodeDriver with blocking queries on /v1/nodes:
// fn gets the whole list (as Nodes returns it) at once and then each time a node in
// scope changes what the orchestrator sees of it (status, eligibility, drain, name,
// one coming or going; a fingerprint update alone is no news). After a failed query
// the index starts over from 0 (a restored cluster's index may be lower than ours),
// as it does when an answer's index goes backwards; failures back off exponentially.
// It returns ctx's error when ctx ends, and EUNAVAILABLE when the driver is not open.
func (d *Driver) WatchNodes(ctx context.Context, fn func([]*orchestrator.Node)) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	log := d.logger.Named("nodes")
	wait := min(d.cfg.WaitTime.Std(), maxWatchWait)
	var (
		index    uint64
		last     []*orchestrator.Node
		sent     bool
		failures int
	)
	for {
		started := d.Clock.Now()
		var (
			stubs []*api.NodeListStub
			meta  *api.QueryMeta
		)
		err := d.call.watch(ctx, backendNomad, "watch nodes", func(ctx context.Context) (err error) {
			q := (&api.QueryOptions{WaitIndex: index, WaitTime: wait}).WithContext(ctx)
			stubs, meta, err = d.nodes.List(q)
			return err
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			failures++
			index = 0
			delay := d.call.backoff(min(failures, 6))
			log.Warn("node watch failed", "error", d.call.scrub(errText(err)), "retry_in", delay)
			if !d.sleepCtx(ctx, delay) {
				return ctx.Err()
			}
			continue
		}
		failures = 0
		if meta != nil && meta.LastIndex < index {
			log.Info("node watch index went backwards, starting over", "index", index, "next", meta.LastIndex)
		}
		index = nextIndex(index, meta)
		nodes := toNodes(d.scoped(stubs))
		if !sent || !sameNodes(last, nodes) {
			sent, last = true, nodes
			out := make([]*orchestrator.Node, len(nodes))
			for i, n := range nodes {
				c := *n
				out[i] = &c
			}
			fn(out)
		}
		if elapsed := d.Clock.Now().Sub(started); elapsed < d.cfg.WatchInterval.Std() {
			if !d.sleepCtx(ctx, d.cfg.WatchInterval.Std()-elapsed) {
				return ctx.Err()
			}
		}
	}
}

func sameNodes(a, b []*orchestrator.Node) bool {
	return slices.EqualFunc(a, b, func(x, y *orchestrator.Node) bool {
		return x.ID == y.ID && x.Name == y.Name && x.Status == y.Status && x.Eligible == y.Eligible && x.Draining == y.Draining
	})
}

func (d *Driver) sleepCtx(ctx context.Context, dur time.Duration) bool {
	t := d.Clock.NewTimer(dur)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

// findNode returns the node in scope with that ID or name. Errors: ENOTFOUND,
// EUNAVAILABLE.
func (d *Driver) findNode(ctx context.Context, node string) (*api.NodeListStub, error) {
	stubs, err := d.listNodes(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range stubs {
		if n.ID == node {
			return n, nil
		}
	}
	for _, n := range stubs {
		if n.Name == node {
			return n, nil
		}
	}
	return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "nomad: no node %q in node pool %q and datacenters %v", node, orEmpty(d.cfg.NodePool, "default"), d.cfg.Datacenters)
}

// DrainNode implements orchestrator.NodeDriver: Nomad's drain of the node (by ID, or by
// name), with the deadline (DefaultDrainDeadline for 0; a negative one forces the
// drain at once) and galaxyd's mark in the drain's meta. Only nodes the games may run
// on can be drained this way. The node turns ineligible; the games' jobs ask for
// migrate max_parallel 0, so Nomad leaves their engines running until the deadline,
// and galaxyd transfers them (the drainer, on the node's news). Errors: ENOTFOUND for
// a node Nomad does not know or outside the pool and datacenters, EUNAVAILABLE.
func (d *Driver) DrainNode(ctx context.Context, nodeID string, deadline time.Duration) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	n, err := d.findNode(ctx, nodeID)
	if err != nil {
		return err
	}
	if deadline == 0 {
		deadline = DefaultDrainDeadline
	} else if deadline < 0 {
		deadline = -1
	}
	opts := &api.DrainOptions{
		DrainSpec: &api.DrainSpec{Deadline: deadline},
		Meta:      map[string]string{drainMeta: "galaxyd"},
	}
	if d.cfg.Stack != "" {
		opts.Meta[jobspec.MetaStack] = d.cfg.Stack
	}
	err = d.call.short(ctx, "drain node", func(ctx context.Context) error {
		_, err := d.nodes.UpdateDrainOpts(n.ID, opts, d.writeOpts(ctx))
		return err
	})
	if err != nil {
		// Nomad answers an unknown node with a 500 "node not found" (fixture 33).
		if isNotFound(err) || strings.Contains(bodyOf(err), "node not found") {
			return orchestrator.Errorf(orchestrator.ENOTFOUND, "nomad: node %s not found", n.ID)
		}
		return d.call.unavailable("drain node "+n.ID, err)
	}
	d.logger.Info("node drain started", "node_id", n.ID, "node_name", n.Name, "deadline", deadline)
	return nil
}

// nodeStatus is the status of the node with that ID ("" when Nomad does not know it).
func (d *Driver) nodeStatus(ctx context.Context, nodeID string) (string, error) {
	var n *api.Node
	err := d.call.short(ctx, "read node", func(ctx context.Context) (err error) {
		n, _, err = d.nodes.Info(nodeID, d.queryOpts(ctx, ""))
		return err
	})
	if isNotFound(err) || err != nil && strings.Contains(bodyOf(err), "node not found") {
		return "", nil
	} else if err != nil {
		return "", d.call.unavailable("read node "+short(nodeID), err)
	}
	return n.Status, nil
}

// ReleaseStale implements orchestrator.NodeDriver: on a node that is up, it deletes the
// dynamic volumes galaxy-game-<uuid> of games that placedHere says are not placed
// there any more (left behind when the node was lost and the game moved, or removed,
// meanwhile). A volume is kept, whatever placedHere says, when its game's job belongs
// to another stack, when an allocation of the job runs or is about to on that node,
// or when the job exists and the volume is the only one of that name (the game's
// state would go with it). It returns how many volumes it deleted. Errors:
// ENOTFOUND (no such node), EUNAVAILABLE (the node is not up, or Nomad cannot be
// asked), with the count of those deleted before.
func (d *Driver) ReleaseStale(ctx context.Context, nodeID string, placedHere func(gameID uuid.UUID) bool) (int, error) {
	if err := d.checkOpen(); err != nil {
		return 0, err
	}
	if d.cfg.SharedVolume != "" {
		return 0, nil
	}
	status, err := d.nodeStatus(ctx, nodeID)
	switch {
	case err != nil:
		return 0, err
	case status == "":
		return 0, orchestrator.Errorf(orchestrator.ENOTFOUND, "nomad: node %s not found", nodeID)
	case status != api.NodeStatusReady:
		return 0, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad: node %s is %s: what it holds of moved games is released once it is up", short(nodeID), status)
	}
	var all []*api.HostVolumeStub
	err = d.call.short(ctx, "list volumes", func(ctx context.Context) (err error) {
		all, _, err = d.volumes.List(nil, d.queryOpts(ctx, jobspec.JobPrefix))
		return err
	})
	if err != nil {
		return 0, d.call.unavailable("list volumes", err)
	}
	byName := map[string]int{}
	for _, v := range all {
		byName[v.Name]++
	}
	released := 0
	var errs []error
	for _, v := range all {
		if v.NodeID != nodeID || !strings.HasPrefix(v.Name, jobspec.JobPrefix) {
			continue
		}
		gameID, err := uuid.Parse(strings.TrimPrefix(v.Name, jobspec.JobPrefix))
		if err != nil || placedHere(gameID) {
			continue
		}
		log := d.logger.With("game_id", gameID, "volume_id", v.ID, "node_id", nodeID)
		job, err := d.jobInfo(ctx, v.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if job != nil {
			if job.Meta[jobspec.MetaStack] != d.cfg.Stack {
				log.Debug("volume of another stack's game kept", "stack", job.Meta[jobspec.MetaStack])
				continue
			}
			if byName[v.Name] < 2 {
				log.Warn("volume kept: its game's job exists and this is its only volume")
				continue
			}
			allocs, _, err := d.allocations(ctx, v.Name, 0)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if slices.ContainsFunc(allocs, func(a *api.AllocationListStub) bool { return a.NodeID == nodeID && live(a) }) {
				log.Warn("volume kept: an allocation of its game's job runs on the node")
				continue
			}
		}
		err = d.call.short(ctx, "delete volume", func(ctx context.Context) error {
			_, _, err := d.volumes.Delete(&api.HostVolumeDeleteRequest{ID: v.ID}, d.writeOpts(ctx))
			return err
		})
		if err != nil && !isNotFound(err) {
			errs = append(errs, d.call.unavailable("delete volume "+v.ID, err))
			continue
		}
		byName[v.Name]--
		released++
		log.Info("deleted the volume a moved game left on a node that came back")
	}
	if len(errs) > 0 {
		return released, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad: released %d volumes of node %s, not all: %s", released, short(nodeID), orchestrator.ErrorMessage(errors.Join(errs...)))
	}
	return released, nil
}

// live reports whether an allocation runs or may run: running, pending, or unknown
// (its node disconnected: it may come back running).
func live(a *api.AllocationListStub) bool {
	switch a.ClientStatus {
	case api.AllocClientStatusRunning, api.AllocClientStatusPending, api.AllocClientStatusUnknown:
		return true
	}
	return false
}

// nodeGone reports whether an answer says the volume's node cannot be reached (a
// volume delete on a down node: Nomad asks for force=true, which would leave the
// directory behind with nothing to delete it later).
func nodeGone(err error) bool {
	b := bodyOf(err)
	return strings.Contains(b, "cannot be removed from unknown node") || strings.Contains(b, "No path to node")
}

// describeNodes names nodes for an error: "a1b2c3d4 (down)".
func describeNodes(stubs []*api.NodeListStub) string {
	var s []string
	for _, n := range stubs {
		st := n.Status
		switch {
		case n.Drain:
			st = "draining"
		case st == api.NodeStatusReady && n.SchedulingEligibility != api.NodeSchedulingEligible:
			st = "ineligible"
		}
		s = append(s, fmt.Sprintf("%s (%s)", orEmpty(n.Name, short(n.ID)), st))
	}
	return strings.Join(s, ", ")
}
