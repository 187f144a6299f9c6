package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// bucketJournal holds game ID (16) + turn (8-byte big-endian) + race (16) -> the race's
// last accepted orders for that open turn (orchestrator.JournalEntry), so a game
// restored from an archived snapshot gets its players' orders back.
var bucketJournal = []byte("orders_journal")

func journalKey(gameID uuid.UUID, turn int, actor uuid.UUID) []byte {
	k := make([]byte, 0, 40)
	k = append(k, gameID[:]...)
	k = binary.BigEndian.AppendUint64(k, uint64(turn))
	return append(k, actor[:]...)
}

// PutJournal implements orchestrator.Tx: e replaces the race's entry for its turn.
func (t *tx) PutJournal(gameID uuid.UUID, e *orchestrator.JournalEntry) error {
	if err := t.writable("put journal"); err != nil {
		return err
	} else if gameID == uuid.Nil || e == nil || e.Actor == uuid.Nil || e.Turn < 0 {
		return errInvalid("put journal: game %s entry %+v", gameID, e)
	}
	return put(t.bucket(bucketJournal), journalKey(gameID, e.Turn, e.Actor), e, fmt.Sprintf("journal of game %s turn %d", gameID, e.Turn))
}

// Journal implements orchestrator.Tx: the game's entries for turn from on, by turn,
// then race.
func (t *tx) Journal(gameID uuid.UUID, from int) ([]*orchestrator.JournalEntry, error) {
	var out []*orchestrator.JournalEntry
	c := t.bucket(bucketJournal).Cursor()
	for k, v := c.Seek(journalKey(gameID, max(from, 0), uuid.Nil)); k != nil && bytes.HasPrefix(k, gameID[:]); k, v = c.Next() {
		var e orchestrator.JournalEntry
		if err := decode(v, &e, fmt.Sprintf("journal %x", k)); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, nil
}

// DeleteJournal implements orchestrator.Tx: it forgets the game's entries for turns
// before before (all of them when before < 0) and returns how many.
func (t *tx) DeleteJournal(gameID uuid.UUID, before int) (int, error) {
	if err := t.writable("delete journal"); err != nil {
		return 0, err
	}
	b := t.bucket(bucketJournal)
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(gameID[:]); k != nil && bytes.HasPrefix(k, gameID[:]); k, _ = c.Next() {
		if before >= 0 && int(binary.BigEndian.Uint64(k[16:24])) >= before {
			break
		}
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := del(b, k, fmt.Sprintf("journal %x", k)); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}
