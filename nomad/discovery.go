package nomad

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// instance is one passing engine instance, keyed by its game tag.
type instance struct {
	Tag     string // game-<uuid>
	AllocID string
	NodeID  string
	Address string
	Port    int
	// Index orders instances of one game: the newest registration wins when two pass
	// at once (during an update or a reschedule).
	Index uint64
}

func (e instance) url() string {
	return "http://" + net.JoinHostPort(e.Address, strconv.Itoa(e.Port))
}

// source reads the passing instances of the engine service with a blocking query: it
// returns once the index moves past index or wait runs out. poll asks for a short
// next wait, for health that cannot be blocked on (Nomad-native checks not passing
// yet).
type source interface {
	instances(ctx context.Context, index uint64, wait time.Duration) (insts []instance, next uint64, poll bool, err error)
	// backend names the API it reads, for Config.OnCallError: "consul" or "nomad".
	backend() string
}

// maxWatchWait caps one blocking query of the watch, whatever WaitTime says: after
// a reset of the servers' index that the watch missed (a restore that came with no
// failed query), the watch sees changes again within this time.
const maxWatchWait = time.Minute

// Discovery follows the endpoints of every game's engine with one blocking-query watch
// on the engine service (not one per game: Consul and Nomad wake every watcher of a
// service on any change to it, so N per-game watches would make N queries per change).
// An allocation rescheduled to another node is picked up without a restart. Endpoint
// answers from that cache; the observer hears of every change no Start or Stop asked
// for.
type Discovery struct {
	src     source
	call    *caller
	clock   orchestrator.Clock
	logger  hclog.Logger
	cfg     Config
	observe orchestrator.InstanceObserver
	// nodeOf finds an allocation's Nomad node, for news whose source does not carry
	// it (Consul's registrations name Consul's own node IDs).
	nodeOf func(ctx context.Context, allocID string) (string, error)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	known   bool                  // the first answer has arrived
	byTag   map[string][]instance // passing instances per game tag, newest first
	last    map[string]*seen      // what the observer was last told (or would have been), per tag
	held    map[string]int        // tags with a Start, Stop or Remove in flight
	nodes   map[string]string     // Nomad node per allocation, as nodeOf found it
	changed chan struct{}         // closed and replaced on every update
}

// seen is the watch's last word on one game: its newest passing instance, whether it
// is still there, and whether it went because a Stop or Remove asked.
type seen struct {
	inst    instance
	present bool
	stopped bool
}

var _ orchestrator.Discovery = (*Discovery)(nil)

func newDiscovery(src source, call *caller, cfg Config, clock orchestrator.Clock, logger hclog.Logger) *Discovery {
	return &Discovery{
		src: src, call: call, cfg: cfg, clock: clock, logger: logger, observe: cfg.OnChange,
		last: map[string]*seen{}, held: map[string]int{}, nodes: map[string]string{}, changed: make(chan struct{}),
	}
}

// open starts the watch; close stops it and waits for it.
func (d *Discovery) open() {
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.run(d.ctx)
	}()
}

func (d *Discovery) close() {
	if d.cancel != nil {
		d.cancel()
	}
	d.wg.Wait()
}

// hold marks the game as changing on request (a Start, Stop or Remove in flight):
// what the watch sees of it meanwhile is that call's own news, kept in the cache but
// not told to the observer. release undoes one hold.
func (d *Discovery) hold(gameID uuid.UUID) (release func()) {
	tag := orchestrator.ServiceTag(gameID)
	d.mu.Lock()
	d.held[tag]++
	d.mu.Unlock()
	return func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.held[tag]--; d.held[tag] <= 0 {
			delete(d.held, tag)
		}
	}
}

// stopped notes that the game's engine was stopped on request: the watch's later
// sight of its last instance going (or, lagging, still there) is no news.
func (d *Discovery) stopped(gameID uuid.UUID) {
	tag := orchestrator.ServiceTag(gameID)
	d.mu.Lock()
	defer d.mu.Unlock()
	if s := d.last[tag]; s != nil {
		s.stopped = true
		s.present = false
	}
}

// Endpoint returns the base URL of the game's newest passing engine instance, from the
// watch's cache (waiting, bounded by ctx, only for the watch's first answer).
// Errors: EUNAVAILABLE when no instance passes its health check or discovery is not
// open.
func (d *Discovery) Endpoint(ctx context.Context, gameID uuid.UUID) (string, error) {
	tag := orchestrator.ServiceTag(gameID)
	for {
		d.mu.Lock()
		known, insts, changed := d.known, d.byTag[tag], d.changed
		d.mu.Unlock()
		if known {
			if len(insts) == 0 {
				return "", orchestrator.Errorf(orchestrator.EUNAVAILABLE, "no passing instance of the engine of game %s", gameID)
			}
			return insts[0].url(), nil
		}
		if err := d.waitChange(ctx, changed); err != nil {
			return "", err
		}
	}
}

// waitAlloc waits until the given allocation's instance of the game passes.
func (d *Discovery) waitAlloc(ctx context.Context, gameID uuid.UUID, allocID string) (instance, error) {
	tag := orchestrator.ServiceTag(gameID)
	for {
		d.mu.Lock()
		insts, changed := d.byTag[tag], d.changed
		d.mu.Unlock()
		for _, e := range insts {
			if e.AllocID == allocID {
				return e, nil
			}
		}
		if err := d.waitChange(ctx, changed); err != nil {
			return instance{}, err
		}
	}
}

func (d *Discovery) waitChange(ctx context.Context, changed <-chan struct{}) error {
	if d.ctx == nil {
		return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad discovery is not open")
	}
	select {
	case <-changed:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-d.ctx.Done():
		return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad discovery is closed")
	}
}

// cached returns the game's newest passing instance if the watch knows one, without
// waiting.
func (d *Discovery) cached(gameID uuid.UUID) (instance, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if insts := d.byTag[orchestrator.ServiceTag(gameID)]; len(insts) > 0 {
		return insts[0], true
	}
	return instance{}, false
}

// run is the watch loop: blocking queries back to back, at most one per
// WatchInterval, backing off on errors. After an error the index starts over: the
// servers that answer next may be a restored or rebuilt cluster whose index is lower
// than ours, and a query with our index would wait for its whole wait time.
func (d *Discovery) run(ctx context.Context) {
	var index uint64
	longWait := min(d.cfg.WaitTime.Std(), maxWatchWait)
	wait := longWait
	failures := 0
	for ctx.Err() == nil {
		started := d.clock.Now()
		var (
			insts []instance
			next  uint64
			poll  bool
		)
		err := d.call.watch(ctx, d.src.backend(), "watch endpoints", func(ctx context.Context) (err error) {
			insts, next, poll, err = d.src.instances(ctx, index, wait)
			return err
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			index = 0
			delay := d.call.backoff(min(failures, 6))
			d.logger.Warn("endpoint watch failed", "error", d.call.scrub(errText(err)), "retry_in", delay)
			if !d.sleep(ctx, delay) {
				return
			}
			continue
		}
		failures = 0
		// An index that goes backwards means the servers' state was reset (a restore,
		// a new cluster): start over rather than wait for an index that never comes.
		if next < index {
			d.logger.Info("watch index went backwards, starting over", "index", index, "next", next)
			next = 0
		}
		index = next
		wait = longWait
		if poll {
			wait = d.cfg.CheckPollInterval.Std()
		} else if d.cfg.Discovery == "nomad" {
			wait = min(wait, d.cfg.CheckRefreshInterval.Std())
		}
		d.update(insts)
		if elapsed := d.clock.Now().Sub(started); elapsed < d.cfg.WatchInterval.Std() {
			if !d.sleep(ctx, d.cfg.WatchInterval.Std()-elapsed) {
				return
			}
		}
	}
}

// update replaces the cache with one answer of the watch, logs what moved, and tells
// the observer of every game whose engine changed with no Start or Stop in flight.
func (d *Discovery) update(insts []instance) {
	byTag := map[string][]instance{}
	for _, e := range insts {
		byTag[e.Tag] = append(byTag[e.Tag], e)
	}
	for _, l := range byTag {
		for i := 1; i < len(l); i++ {
			for j := i; j > 0 && l[j].Index > l[j-1].Index; j-- {
				l[j], l[j-1] = l[j-1], l[j]
			}
		}
	}
	var news []*orchestrator.Instance
	d.mu.Lock()
	for tag, l := range byTag {
		cur := l[0]
		s := d.last[tag]
		switch {
		case s == nil && !d.known:
			// What runs when galaxyd starts is no change.
		case s == nil:
			d.note(tag, false, "engine instance passing", "tag", tag, "endpoint", cur.url(), "alloc_id", cur.AllocID, "node_id", cur.NodeID)
			news = d.tell(news, tag, cur, true, "")
		case !s.present && s.stopped && s.inst.AllocID == cur.AllocID:
			// The stopped allocation, seen once more by a lagging answer.
		case !s.present && s.inst.same(cur):
			d.note(tag, false, "engine instance passing again", "tag", tag, "endpoint", cur.url(), "alloc_id", cur.AllocID)
			news = d.tell(news, tag, cur, true, "")
		case !s.inst.same(cur):
			d.note(tag, false, "engine endpoint changed", "tag", tag, "endpoint", cur.url(), "alloc_id", cur.AllocID, "node_id", cur.NodeID,
				"was_endpoint", s.inst.url(), "was_alloc_id", s.inst.AllocID)
			news = d.tell(news, tag, cur, true, "")
		}
		if s == nil || s.present || !s.stopped || s.inst.AllocID != cur.AllocID {
			d.last[tag] = &seen{inst: cur, present: true}
		}
	}
	for tag, s := range d.last {
		if _, ok := byTag[tag]; ok {
			continue
		}
		if s.stopped {
			delete(d.last, tag) // gone for good, as asked
			continue
		}
		if !s.present {
			continue
		}
		s.present = false
		d.note(tag, true, "engine has no passing instance", "tag", tag, "was_endpoint", s.inst.url(), "was_alloc_id", s.inst.AllocID)
		news = d.tell(news, tag, s.inst, false, "no passing instance of the engine service in "+d.src.backend()+
			": allocation "+short(s.inst.AllocID)+" is failing its health check, restarting or gone")
	}
	d.known = true
	d.byTag = byTag
	nodes := map[string]string{}
	for _, l := range byTag {
		for _, e := range l {
			if n, ok := d.nodes[e.AllocID]; ok {
				nodes[e.AllocID] = n
			}
		}
	}
	d.nodes = nodes
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
	if d.observe == nil {
		return
	}
	for _, in := range news {
		if in.NodeID == "" && in.AllocID != "" {
			in.NodeID = d.node(in.AllocID)
		}
		d.observe(in)
	}
}

// node is the allocation's Nomad node: from the cache, or asked of Nomad ("" when
// that fails; the news goes out without it).
func (d *Discovery) node(allocID string) string {
	d.mu.Lock()
	n, ok := d.nodes[allocID]
	d.mu.Unlock()
	if ok || d.nodeOf == nil {
		return n
	}
	ctx, cancel := context.WithTimeout(d.ctx, d.cfg.RequestTimeout.Std())
	defer cancel()
	n, err := d.nodeOf(ctx, allocID)
	if err != nil {
		d.logger.Debug("cannot read the allocation's node", "alloc_id", allocID, "error", d.call.scrub(errText(err)))
		return ""
	}
	d.mu.Lock()
	d.nodes[allocID] = n
	d.mu.Unlock()
	return n
}

// note logs what the watch saw of a game: at debug level while a Start or Stop
// holds it (that call logs its own outcome), else as info or, for an engine gone,
// a warning. The caller holds d.mu.
func (d *Discovery) note(tag string, warn bool, msg string, args ...any) {
	switch {
	case d.held[tag] > 0:
		d.logger.Debug(msg, args...)
	case warn:
		d.logger.Warn(msg, args...)
	default:
		d.logger.Info(msg, args...)
	}
}

// tell adds the observer's news of one game, unless a Start or Stop holds it. The
// caller holds d.mu.
func (d *Discovery) tell(news []*orchestrator.Instance, tag string, e instance, running bool, reason string) []*orchestrator.Instance {
	if d.held[tag] > 0 || d.observe == nil {
		return news
	}
	id, err := uuid.Parse(strings.TrimPrefix(tag, tagPrefix))
	if err != nil {
		return news
	}
	in := &orchestrator.Instance{GameID: id, JobID: orchestrator.JobName(id), Running: running, AllocID: e.AllocID, NodeID: e.NodeID, Reason: reason}
	if running {
		in.Endpoint = e.url()
	}
	return append(news, in)
}

// same reports whether two instances are one engine at one address: the index alone
// changing (a restore, a re-registration) is no move.
func (e instance) same(o instance) bool {
	return e.AllocID == o.AllocID && e.NodeID == o.NodeID && e.Address == o.Address && e.Port == o.Port
}

func (d *Discovery) sleep(ctx context.Context, dur time.Duration) bool {
	t := d.clock.NewTimer(dur)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}
