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

// Events implements orchestrator.Tx: up to limit events (limit <= 0 = all) in Seq
// order, oldest first.
func (t *tx) Events(limit int) ([]*orchestrator.Event, error) {
	var events []*orchestrator.Event
	c := t.bucket(bucketEvents).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
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

// DeleteEvent implements orchestrator.Tx: it removes a delivered event. Deleting an
// absent seq is not an error, so a delivery retried after a crash can delete again.
func (t *tx) DeleteEvent(seq uint64) error {
	if err := t.writable("delete event"); err != nil {
		return err
	}
	return del(t.bucket(bucketEvents), seqKey(seq), fmt.Sprintf("event %d", seq))
}

// seqKey is the 8-byte big-endian key of an event, so byte order is append order.
func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }
