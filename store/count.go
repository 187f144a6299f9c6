package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	bolt "go.etcd.io/bbolt"
)

// The store keeps counts of runtimes by status, engine health and the paused flag in
// the same transaction as every runtime write, so /metrics reads a handful of keys
// instead of scanning 100,000 records. PutRuntime reads the three fields from the
// record it replaces (a partial decode) to move the counts; schema 2 kept them in a
// bucket of their own, which cost every turn two more random page writes.

var (
	// bucketCounts holds "<status>\x00<health>" -> 8-byte count, and "paused" -> count.
	bucketCounts = []byte("counts")
	keyPaused    = []byte("paused")
	// bucketRuntimeKeysV2 is schema 2's summaries, dropped by the upgrade to 3.
	bucketRuntimeKeysV2 = []byte("runtime_keys")
)

// summary is what the counts are kept by.
func summary(status, health string, paused bool) []byte {
	b := make([]byte, 0, len(status)+len(health)+3)
	b = append(b, status...)
	b = append(b, 0)
	b = append(b, health...)
	b = append(b, 0)
	if paused {
		return append(b, 'p')
	}
	return append(b, '-')
}

// counted is the part of a stored runtime the counts are kept by.
type counted struct {
	Status       string `json:"status"`
	EngineHealth string `json:"engineHealth"`
	Paused       bool   `json:"paused"`
}

// recount moves the counts from the stored runtime's summary to r's; call it before
// r replaces the stored record.
func (t *tx) recount(r *orchestrator.Runtime) error {
	next := summary(r.Status, r.EngineHealth, r.Paused)
	var prev []byte
	if old := t.bucket(bucketRuntimes).Get(r.GameID[:]); old != nil {
		var c counted
		if err := decode(old, &c, "runtime of game "+r.GameID.String()); err != nil {
			return err
		}
		prev = summary(c.Status, c.EngineHealth, c.Paused)
	}
	if bytes.Equal(prev, next) {
		return nil
	}
	counts := t.bucket(bucketCounts)
	if prev != nil {
		if err := addCounts(counts, prev, -1); err != nil {
			return err
		}
	}
	return addCounts(counts, next, +1)
}

// addCounts adds delta to the counts of a summary.
func addCounts(counts *bolt.Bucket, s []byte, delta int64) error {
	i := bytes.LastIndexByte(s, 0)
	if i < 0 {
		return fmt.Errorf("store: corrupt runtime summary %q", s)
	}
	if err := addCount(counts, s[:i], delta); err != nil {
		return err
	}
	if i+1 < len(s) && s[i+1] == 'p' {
		return addCount(counts, keyPaused, delta)
	}
	return nil
}

func addCount(counts *bolt.Bucket, key []byte, delta int64) error {
	var n int64
	if v := counts.Get(key); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	if n += delta; n < 0 {
		n = 0
	}
	return counts.Put(bytes.Clone(key), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// RuntimeCounts implements orchestrator.Tx: runtimes by status and health, and how
// many are paused, read from the maintained counts.
func (t *tx) RuntimeCounts() (orchestrator.RuntimeCounts, error) {
	out := orchestrator.RuntimeCounts{ByStatus: map[string]map[string]int{}}
	err := t.bucket(bucketCounts).ForEach(func(k, v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("store: corrupt count %q", k)
		}
		n := int(binary.BigEndian.Uint64(v))
		if bytes.Equal(k, keyPaused) {
			out.Paused = n
			return nil
		}
		status, health, ok := bytes.Cut(k, []byte{0})
		if !ok {
			return fmt.Errorf("store: corrupt count key %q", k)
		}
		if out.ByStatus[string(status)] == nil {
			out.ByStatus[string(status)] = map[string]int{}
		}
		out.ByStatus[string(status)][string(health)] += n
		return nil
	})
	return out, err
}

// rebuildCounts recounts every runtime: for a file written before the counts existed.
func rebuildCounts(btx *bolt.Tx) error {
	if btx.Bucket(bucketCounts) != nil {
		if err := btx.DeleteBucket(bucketCounts); err != nil {
			return err
		}
	}
	counts, err := btx.CreateBucket(bucketCounts)
	if err != nil {
		return err
	}
	return btx.Bucket(bucketRuntimes).ForEach(func(k, v []byte) error {
		var c counted
		if err := decode(v, &c, fmt.Sprintf("runtime of game %x", k)); err != nil {
			return err
		}
		return addCounts(counts, summary(c.Status, c.EngineHealth, c.Paused), +1)
	})
}
