package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// bucketFigures holds game ID (16 bytes) + turn (8-byte big-endian) -> the races'
// figures after that turn ([]engine.PlayerSummary), so a game's history reads in order.
var bucketFigures = []byte("turn_figures")

// PutTurnFigures implements orchestrator.Tx: it records (or replaces) the races'
// figures after turn of the game.
func (t *tx) PutTurnFigures(gameID uuid.UUID, turn int, players []engine.PlayerSummary) error {
	if err := t.writable("put turn figures"); err != nil {
		return err
	} else if gameID == uuid.Nil || turn < 0 {
		return errInvalid("put turn figures: game %s turn %d", gameID, turn)
	}
	return put(t.bucket(bucketFigures), figuresKey(gameID, turn), players, fmt.Sprintf("figures of game %s turn %d", gameID, turn))
}

// TurnFigures implements orchestrator.Tx: the game's recorded figures, by turn,
// oldest first, from turn from on (at most limit; 0 = all).
func (t *tx) TurnFigures(gameID uuid.UUID, from, limit int) ([]*orchestrator.TurnFigures, error) {
	var out []*orchestrator.TurnFigures
	c := t.bucket(bucketFigures).Cursor()
	for k, v := c.Seek(figuresKey(gameID, max(from, 0))); k != nil && bytes.HasPrefix(k, gameID[:]); k, v = c.Next() {
		f := &orchestrator.TurnFigures{Turn: int(binary.BigEndian.Uint64(k[16:]))}
		if err := decode(v, &f.Players, fmt.Sprintf("figures %x", k)); err != nil {
			return nil, err
		}
		out = append(out, f)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

func figuresKey(gameID uuid.UUID, turn int) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), gameID[:]...), uint64(turn))
}
