package orchestrator

import (
	"context"
	"sync"
	"time"
)

// EventFeed is what the live event stream of the API needs of the event log.
type EventFeed interface {
	// Last returns the Seq of the last event appended.
	Last(ctx context.Context) (uint64, error)
	// Next returns up to limit events after Seq after, waiting up to wait for them
	// (none and no error when it passed).
	Next(ctx context.Context, after uint64, limit int, wait time.Duration) ([]*Event, error)
}

var _ EventFeed = (*Feed)(nil)

// Feed streams the event log to live subscribers — the console's Server-Sent Events —
// from any Seq on, as events are appended: what the lobby's webhook gets, as it
// happens. Services call Notify after each commit that may have appended events; a
// subscriber that reconnects with the last Seq it saw misses nothing the log still
// holds (the Outbox keeps delivered events for its Retention).
type Feed struct {
	store Store
	mu    sync.Mutex
	wake  chan struct{} // closed, and replaced, by every Notify
}

// NewFeed returns a feed of store's event log.
func NewFeed(store Store) *Feed { return &Feed{store: store, wake: make(chan struct{})} }

// Notify wakes every subscriber waiting in Next. It never blocks.
func (f *Feed) Notify() {
	if f == nil {
		return
	}
	f.mu.Lock()
	close(f.wake)
	f.wake = make(chan struct{})
	f.mu.Unlock()
}

// Last returns the Seq of the last event appended: where a new subscriber that wants
// only what happens from now on starts.
func (f *Feed) Last(ctx context.Context) (seq uint64, err error) {
	err = f.store.View(ctx, func(tx Tx) (err error) {
		_, seq, err = tx.EventCursor()
		return err
	})
	return seq, err
}

// Next returns up to limit events with Seq greater than after, waiting for them until
// ctx ends or wait passes (then it returns none and no error: time for a heartbeat).
func (f *Feed) Next(ctx context.Context, after uint64, limit int, wait time.Duration) ([]*Event, error) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		f.mu.Lock()
		wake := f.wake
		f.mu.Unlock()
		var evs []*Event
		if err := f.store.View(ctx, func(tx Tx) (err error) {
			evs, err = tx.Events(after, limit)
			return err
		}); err != nil || len(evs) > 0 {
			return evs, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
			return nil, nil
		case <-wake:
		}
	}
}
