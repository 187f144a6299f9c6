package nomad

import (
	"context"
	"net"
	"strconv"
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
}

// Discovery follows the endpoints of every game's engine with one blocking-query watch
// on the engine service (not one per game: Consul and Nomad wake every watcher of a
// service on any change to it, so N per-game watches would make N queries per change).
// An allocation rescheduled to another node is picked up without a restart. Endpoint
// answers from that cache.
type Discovery struct {
	src    source
	call   *caller
	clock  orchestrator.Clock
	logger hclog.Logger
	cfg    Config

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	known   bool                  // the first answer has arrived
	byTag   map[string][]instance // passing instances per game tag, newest first
	changed chan struct{}         // closed and replaced on every update
}

var _ orchestrator.Discovery = (*Discovery)(nil)

func newDiscovery(src source, call *caller, cfg Config, clock orchestrator.Clock, logger hclog.Logger) *Discovery {
	return &Discovery{src: src, call: call, cfg: cfg, clock: clock, logger: logger, changed: make(chan struct{})}
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

// cached returns the game's endpoint if the watch knows one, without waiting.
func (d *Discovery) cached(gameID uuid.UUID) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if insts := d.byTag[orchestrator.ServiceTag(gameID)]; len(insts) > 0 {
		return insts[0].url()
	}
	return ""
}

// run is the watch loop: blocking queries back to back, at most one per
// WatchInterval, backing off on errors.
func (d *Discovery) run(ctx context.Context) {
	var index uint64
	wait := d.cfg.WaitTime.Std()
	failures := 0
	for ctx.Err() == nil {
		started := d.clock.Now()
		var (
			insts []instance
			next  uint64
			poll  bool
		)
		err := d.call.blocking(ctx, "watch endpoints", func(ctx context.Context) (err error) {
			insts, next, poll, err = d.src.instances(ctx, index, wait)
			return err
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
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
			d.logger.Debug("watch index went backwards, resetting", "index", index, "next", next)
			next = 0
		}
		index = next
		wait = d.cfg.WaitTime.Std()
		if poll {
			wait = d.cfg.CheckPollInterval.Std()
		} else if d.cfg.Discovery == "nomad" {
			wait = d.cfg.CheckRefreshInterval.Std()
		}
		d.update(insts)
		if elapsed := d.clock.Now().Sub(started); elapsed < d.cfg.WatchInterval.Std() {
			if !d.sleep(ctx, d.cfg.WatchInterval.Std()-elapsed) {
				return
			}
		}
	}
}

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
	d.mu.Lock()
	defer d.mu.Unlock()
	for tag, l := range byTag {
		if old := d.byTag[tag]; len(old) > 0 && old[0] != l[0] {
			d.logger.Info("engine endpoint changed", "tag", tag, "endpoint", l[0].url(), "alloc_id", l[0].AllocID)
		}
	}
	d.known = true
	d.byTag = byTag
	close(d.changed)
	d.changed = make(chan struct{})
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
