package store

import (
	"bytes"
	"fmt"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// Operation implements orchestrator.Tx. Errors: ENOTFOUND.
func (t *tx) Operation(id uuid.UUID) (*orchestrator.Operation, error) {
	var op orchestrator.Operation
	if ok, err := get(t.bucket(bucketOperations), id[:], &op, "operation "+id.String()); err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound("operation %s", id)
	}
	return &op, nil
}

// PutOperation implements orchestrator.Tx: it creates or replaces the operation and, in
// the same transaction, keeps the game_ops index and the pending_ops set in step: the
// operation is pending exactly while its status is queued or running. It refuses a nil
// operation or a zero ID or GameID. IDs should be UUIDv7 so that byte order is creation
// order; other versions are stored but sort by their bytes.
func (t *tx) PutOperation(op *orchestrator.Operation) error {
	if err := t.writable("put operation"); err != nil {
		return err
	} else if op == nil {
		return errInvalid("put operation: nil operation")
	} else if op.ID == uuid.Nil {
		return errInvalid("put operation: zero id")
	} else if op.GameID == uuid.Nil {
		return errInvalid("put operation %s: zero game id", op.ID)
	}
	what := "operation " + op.ID.String()

	// An operation never changes game in practice; if a caller moves one anyway, the
	// old index entry must go or GameOperations of the old game would list it.
	var old struct {
		GameID uuid.UUID `json:"gameId"`
	}
	ok, err := get(t.bucket(bucketOperations), op.ID[:], &old, what)
	if err != nil {
		return err
	} else if ok && old.GameID != op.GameID {
		if err := del(t.bucket(bucketGameOps), gameOpKey(old.GameID, op.ID), "index of "+what); err != nil {
			return err
		}
	}

	if err := put(t.bucket(bucketOperations), idKey(op.ID), op, what); err != nil {
		return err
	}
	// The index entry of an operation rewritten for its own game is there already: a
	// Put of it anyway would dirty a random page of the index with every operation's
	// end (a turn's, thousands at once in a rush).
	if !ok || old.GameID != op.GameID {
		if err := t.bucket(bucketGameOps).Put(gameOpKey(op.GameID, op.ID), nil); err != nil {
			return fmt.Errorf("store: put index of %s: %w", what, err)
		}
	}
	if pending(op.Status) {
		if err := t.bucket(bucketPendingOps).Put(idKey(op.ID), nil); err != nil {
			return fmt.Errorf("store: put pending %s: %w", what, err)
		}
		return nil
	}
	return del(t.bucket(bucketPendingOps), op.ID[:], "pending "+what)
}

// pending reports whether an operation in status must be resumed or failed at boot.
func pending(status string) bool {
	return status == orchestrator.OpQueued || status == orchestrator.OpRunning
}

// GameOperations implements orchestrator.Tx: the game's operations newest first
// (limit <= 0 = all), read through the game_ops index in reverse. An unknown game has
// no operations; the result is empty, not ENOTFOUND.
func (t *tx) GameOperations(gameID uuid.UUID, limit int) ([]*orchestrator.Operation, error) {
	var ops []*orchestrator.Operation
	c := t.bucket(bucketGameOps).Cursor()
	for k := lastWithPrefix(c, gameID[:]); k != nil && bytes.HasPrefix(k, gameID[:]); k, _ = c.Prev() {
		op, err := t.indexedOperation(k[len(gameID):], "game_ops")
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
		if limit > 0 && len(ops) == limit {
			break
		}
	}
	return ops, nil
}

// PendingOperations implements orchestrator.Tx: every queued or running operation,
// oldest first (pending_ops is keyed by UUIDv7).
func (t *tx) PendingOperations() ([]*orchestrator.Operation, error) {
	var ops []*orchestrator.Operation
	c := t.bucket(bucketPendingOps).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		op, err := t.indexedOperation(k, "pending_ops")
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// indexedOperation loads the operation an index entry points at. A missing row means
// the file was damaged outside this package: it is reported, not skipped.
func (t *tx) indexedOperation(id []byte, index string) (*orchestrator.Operation, error) {
	opID, err := keyID(id, index)
	if err != nil {
		return nil, err
	}
	var op orchestrator.Operation
	if ok, err := get(t.bucket(bucketOperations), id, &op, "operation "+opID.String()); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("store: %s points at missing operation %s", index, opID)
	}
	return &op, nil
}

// gameOpKey is the game_ops key: game ID then operation ID, so one game's entries are
// contiguous and in creation order.
func gameOpKey(gameID, opID uuid.UUID) []byte {
	k := make([]byte, 0, 32)
	return append(append(k, gameID[:]...), opID[:]...)
}

// lastWithPrefix positions c on the last key starting with prefix and returns it, or
// returns a key without the prefix (or nil) when there is none.
func lastWithPrefix(c *bolt.Cursor, prefix []byte) []byte {
	// Seek to the first key after every key with this prefix, then step back once.
	upper := append(bytes.Clone(prefix), bytes.Repeat([]byte{0xff}, 16)...)
	k, _ := c.Seek(upper)
	switch {
	case k == nil:
		k, _ = c.Last()
	case !bytes.Equal(k, upper):
		k, _ = c.Prev()
	}
	return k
}
