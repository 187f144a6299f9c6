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
// instead of scanning 100,000 records. Each runtime has a summary in runtime_keys
// (status, health, paused), compared on every PutRuntime to move the counts.

var (
	bucketRuntimeKeys = []byte("runtime_keys")
	// bucketCounts holds "<status>\x00<health>" -> 8-byte count, and "paused" -> count.
	bucketCounts = []byte("counts")
	keyPaused    = []byte("paused")
)

// summary is what the counts are kept by.
func summary(r *orchestrator.Runtime) []byte {
	b := make([]byte, 0, len(r.Status)+len(r.EngineHealth)+3)
	b = append(b, r.Status...)
	b = append(b, 0)
	b = append(b, r.EngineHealth...)
	b = append(b, 0)
	if r.Paused {
		return append(b, 'p')
	}
	return append(b, '-')
}

// recount moves the counts from the runtime's last summary to r's.
func (t *tx) recount(r *orchestrator.Runtime) error {
	keys := t.bucket(bucketRuntimeKeys)
	next := summary(r)
	prev := keys.Get(r.GameID[:])
	if bytes.Equal(prev, next) {
		return nil
	}
	counts := t.bucket(bucketCounts)
	if prev != nil {
		if err := addCounts(counts, prev, -1); err != nil {
			return err
		}
	}
	if err := addCounts(counts, next, +1); err != nil {
		return err
	}
	return keys.Put(idKey(r.GameID), next)
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
	for _, name := range [][]byte{bucketRuntimeKeys, bucketCounts} {
		if btx.Bucket(name) != nil {
			if err := btx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if _, err := btx.CreateBucket(name); err != nil {
			return err
		}
	}
	t := &tx{tx: btx}
	return t.Runtimes(func(r *orchestrator.Runtime) error { return t.recount(r) })
}
