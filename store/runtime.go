package store

import (
	"bytes"
	"fmt"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// Runtime implements orchestrator.Tx. Errors: ENOTFOUND.
func (t *tx) Runtime(gameID uuid.UUID) (*orchestrator.Runtime, error) {
	var r orchestrator.Runtime
	if ok, err := get(t.bucket(bucketRuntimes), gameID[:], &r, "runtime of game "+gameID.String()); err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound("runtime of game %s", gameID)
	}
	return &r, nil
}

// Runtimes implements orchestrator.Tx: fn sees every runtime record in game ID order,
// each a fresh copy, without the whole set held in memory (the scheduler walks all of
// them at boot). fn's error stops the walk and is returned unchanged. Inside Update fn
// may write, including PutRuntime on the record it was given: the walk repositions
// after every call because bbolt cursors do not survive writes to their bucket.
func (t *tx) Runtimes(fn func(*orchestrator.Runtime) error) error {
	c := t.bucket(bucketRuntimes).Cursor()
	k, v := c.First()
	for k != nil {
		var r orchestrator.Runtime
		if err := decode(v, &r, fmt.Sprintf("runtime of game %x", k)); err != nil {
			return err
		}
		var key []byte
		if t.tx.Writable() {
			key = bytes.Clone(k) // k points into a page that fn's writes may reuse
		}
		if err := fn(&r); err != nil {
			return err
		}
		if key != nil {
			// If fn deleted key, Seek lands on its successor (or nil at the end),
			// which is the next record to visit.
			if k2, v2 := c.Seek(key); !bytes.Equal(k2, key) {
				k, v = k2, v2
				continue
			}
		}
		k, v = c.Next()
	}
	return nil
}

// ScanRuntimes implements orchestrator.Tx. A record is decoded whole only when keep
// takes its key, so a filter that matches few records costs a cursor walk and a
// three-field decode per record.
func (t *tx) ScanRuntimes(after uuid.UUID, keep func(orchestrator.RuntimeKey) bool, limit, budget int) ([]*orchestrator.Runtime, uuid.UUID, error) {
	c := t.bucket(bucketRuntimes).Cursor()
	var k, v []byte
	if after == uuid.Nil {
		k, v = c.First()
	} else if k, v = c.Seek(after[:]); bytes.Equal(k, after[:]) {
		k, v = c.Next()
	}
	var kept []*orchestrator.Runtime
	var last []byte
	for n := 0; k != nil; k, v = c.Next() {
		if len(kept) == limit || n == budget {
			return kept, uuid.UUID(last), nil
		}
		n++
		last = k
		if keep != nil {
			var key orchestrator.RuntimeKey
			if err := decode(v, &key, fmt.Sprintf("runtime of game %x", k)); err != nil {
				return nil, uuid.Nil, err
			}
			if !keep(key) {
				continue
			}
		}
		r := new(orchestrator.Runtime)
		if err := decode(v, r, fmt.Sprintf("runtime of game %x", k)); err != nil {
			return nil, uuid.Nil, err
		}
		kept = append(kept, r)
	}
	return kept, uuid.Nil, nil
}

// PutRuntime implements orchestrator.Tx: it creates or replaces the game's runtime
// record. It refuses a nil record or a zero GameID.
func (t *tx) PutRuntime(r *orchestrator.Runtime) error {
	if err := t.writable("put runtime"); err != nil {
		return err
	} else if r == nil {
		return errInvalid("put runtime: nil runtime")
	} else if r.GameID == uuid.Nil {
		return errInvalid("put runtime: zero game id")
	}
	if err := t.recount(r); err != nil {
		return err
	}
	return put(t.bucket(bucketRuntimes), idKey(r.GameID), r, "runtime of game "+r.GameID.String())
}
