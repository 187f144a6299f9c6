package orchestrator

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Outbox delivers the events that state changes wrote into the store's event log, in
// append order (hence in order per game), at least once: the delivered cursor moves
// past an event only after the Notifier acknowledged it, so a crash in between delivers
// it again with the same ID. A failing lobby delays notifications, never games. Without
// a Notifier (no lobby webhook) every event counts as delivered at once. Delivered
// events stay in the log for Retention — the live feed (Feed) replays them to a
// console that reconnects — and are pruned after.
type Outbox struct {
	Store Store
	// Notifier delivers to the lobby; nil: there is no lobby to tell.
	Notifier Notifier
	Logger   hclog.Logger
	Clock    Clock
	// Interval is how often the store is looked at when nothing pokes the loop
	// (default 5 s); BackoffMin/Max bound the wait after a failed delivery
	// (defaults 1 s and 5 min).
	Interval   time.Duration
	BackoffMin time.Duration
	BackoffMax time.Duration
	// Retention is how long delivered events are kept (default 1 h).
	Retention time.Duration
	// OnDelivery, if set, observes every attempt (for metrics).
	OnDelivery func(e *Event, err error)

	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open starts the delivery loop.
func (o *Outbox) Open() {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 5 * time.Minute
	}
	if o.Retention <= 0 {
		o.Retention = time.Hour
	}
	o.wake = make(chan struct{}, 1)
	o.ctx, o.cancel = context.WithCancel(context.Background())
	o.wg.Add(1)
	go o.loop()
}

// Close stops the loop; undelivered events stay in the store for the next Open.
func (o *Outbox) Close() {
	if o.cancel != nil {
		o.cancel()
		o.wg.Wait()
	}
}

// Poke asks the loop to look for new events now. It never blocks.
func (o *Outbox) Poke() {
	if o.wake == nil {
		return
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Depth returns the number of events not yet delivered to the lobby, in O(1); 0
// without a Notifier (no lobby is owed anything).
func (o *Outbox) Depth(ctx context.Context) (n int, err error) {
	if o.Notifier == nil {
		return 0, nil
	}
	err = o.Store.View(ctx, func(tx Tx) error {
		delivered, last, err := tx.EventCursor()
		n = int(last - delivered)
		return err
	})
	return n, err
}

func (o *Outbox) loop() {
	defer o.wg.Done()
	backoff := time.Duration(0)
	var pruned time.Time
	for {
		wait := o.Interval
		if now := o.Clock.Now(); now.Sub(pruned) >= o.Interval {
			o.prune(now)
			pruned = now
		}
		delivered, err := o.deliverBatch()
		switch {
		case o.ctx.Err() != nil:
			return
		case err != nil:
			if backoff == 0 {
				backoff = o.BackoffMin
			} else if backoff *= 2; backoff > o.BackoffMax {
				backoff = o.BackoffMax
			}
			wait = backoff
		case delivered > 0:
			backoff = 0
			continue // there may be more
		default:
			backoff = 0
		}
		wake := o.wake
		if err != nil {
			wake = nil // a failing lobby is backed off even when new events arrive
		}
		t := o.Clock.NewTimer(wait)
		select {
		case <-o.ctx.Done():
			t.Stop()
			return
		case <-t.C():
		case <-wake:
			t.Stop()
		}
	}
}

// deliverBatch sends up to 100 events in order and stops at the first failure, so a
// later event of a game never overtakes an earlier one.
func (o *Outbox) deliverBatch() (int, error) {
	var evs []*Event
	var last uint64
	if err := o.Store.View(o.ctx, func(tx Tx) (err error) {
		var delivered uint64
		if delivered, last, err = tx.EventCursor(); err != nil {
			return err
		}
		if o.Notifier != nil {
			evs, err = tx.Events(delivered, 100)
		} else if delivered == last {
			last = 0
		}
		return err
	}); err != nil {
		return 0, err
	}
	if o.Notifier == nil {
		if last == 0 {
			return 0, nil
		}
		// Nobody to tell: everything appended so far counts as delivered.
		err := o.Store.Update(o.ctx, func(tx Tx) error { return tx.SetEventCursor(last) })
		return 0, err
	}
	for i, e := range evs {
		ctx, cancel := context.WithTimeout(o.ctx, 30*time.Second)
		err := o.Notifier.Notify(ctx, e)
		cancel()
		if o.OnDelivery != nil {
			o.OnDelivery(e, err)
		}
		if err != nil {
			if o.ctx.Err() == nil {
				o.Logger.Warn("lobby notification failed; will retry", "event_id", e.ID, "type", e.Type, "game_id", e.GameID, "error", err)
			}
			return i, err
		}
		if err := o.Store.Update(o.ctx, func(tx Tx) error { return tx.SetEventCursor(e.Seq) }); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}

// prune deletes delivered events older than Retention, a bounded number per pass.
func (o *Outbox) prune(now time.Time) {
	err := o.Store.Update(o.ctx, func(tx Tx) error {
		delivered, _, err := tx.EventCursor()
		if err != nil || delivered == 0 {
			return err
		}
		_, err = tx.DeleteEvents(delivered, now.Add(-o.Retention), 10_000)
		return err
	})
	if err != nil && o.ctx.Err() == nil {
		o.Logger.Warn("cannot prune delivered events", "error", err)
	}
}
