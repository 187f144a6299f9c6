package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// AddEvent implements orchestrator.Tx: it appends e to the outbox. The store always
// assigns e.Seq from the events bucket's sequence, even when e.Seq is already set: an
// Update fn may run twice (batch retry), and a Seq left on e by a rolled-back first run
// must not make the second run overwrite another writer's event. e.ID is assigned
// (UUIDv7) only when zero, so it stays stable across such re-runs; CreatedAt is set when
// zero. It refuses a nil event or an empty Type.
func (t *tx) AddEvent(e *orchestrator.Event) error {
	if err := t.writable("add event"); err != nil {
		return err
	} else if e == nil {
		return errInvalid("add event: nil event")
	} else if e.Type == "" {
		return errInvalid("add event: empty type")
	}
	if e.ID == uuid.Nil {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("store: add event: new id: %w", err)
		}
		e.ID = id
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now().UTC()
	}
	b := t.bucket(bucketEvents)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("store: add event: next sequence: %w", err)
	}
	e.Seq = seq
	return put(b, seqKey(seq), e, fmt.Sprintf("event %d", seq))
}

// Events implements orchestrator.Tx: up to limit events (limit <= 0 = all) whose Seq
// is greater than after, in Seq order.
func (t *tx) Events(after uint64, limit int) ([]*orchestrator.Event, error) {
	var events []*orchestrator.Event
	c := t.bucket(bucketEvents).Cursor()
	for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
		var e orchestrator.Event
		if err := decode(v, &e, fmt.Sprintf("event %x", k)); err != nil {
			return nil, err
		}
		events = append(events, &e)
		if limit > 0 && len(events) == limit {
			break
		}
	}
	return events, nil
}

// EventCursor implements orchestrator.Tx: the Seq of the last event delivered to the
// lobby (0 before the first) and of the last event appended, both O(1).
func (t *tx) EventCursor() (delivered, last uint64, err error) {
	if v := t.bucket(bucketMeta).Get(keyEventsDelivered); v != nil {
		if len(v) != 8 {
			return 0, 0, fmt.Errorf("store: corrupt delivered-events cursor (%d bytes)", len(v))
		}
		delivered = binary.BigEndian.Uint64(v)
	}
	return delivered, t.bucket(bucketEvents).Sequence(), nil
}

// SetEventCursor implements orchestrator.Tx: events up to seq are delivered. The
// cursor never moves back, so a delivery replayed after a crash cannot undo a later one.
func (t *tx) SetEventCursor(seq uint64) error {
	if err := t.writable("set event cursor"); err != nil {
		return err
	}
	cur, _, err := t.EventCursor()
	if err != nil || seq <= cur {
		return err
	}
	if err := t.bucket(bucketMeta).Put(keyEventsDelivered, seqKey(seq)); err != nil {
		return fmt.Errorf("store: set event cursor: %w", err)
	}
	return nil
}

// DeleteEvents implements orchestrator.Tx: it removes up to limit events with a Seq
// of at most upTo created before cutoff, oldest first, and returns how many. Keys are
// collected first: bbolt cursors do not survive deletes.
func (t *tx) DeleteEvents(upTo uint64, cutoff time.Time, limit int) (int, error) {
	if err := t.writable("delete events"); err != nil {
		return 0, err
	}
	b := t.bucket(bucketEvents)
	var keys [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil && binary.BigEndian.Uint64(k) <= upTo && len(keys) < limit; k, v = c.Next() {
		var e orchestrator.Event
		if err := decode(v, &e, fmt.Sprintf("event %x", k)); err != nil {
			return 0, err
		}
		if !e.CreatedAt.Before(cutoff) {
			break // events are in creation order: the rest are younger still
		}
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := del(b, k, fmt.Sprintf("event %x", k)); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// seqKey is the 8-byte big-endian key of an event, so byte order is append order.
func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }
