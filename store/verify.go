package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A bbolt file that is truncated or garbled does not fail cleanly: opening it can
// panic ("invalid freelist page", "assertion failed") or fault on memory past the end
// of a short file, which no recover catches, and tx.Check walks pages on a goroutine of
// its own. So Verify checks the file in a child process — this same binary, started
// with VerifyChildEnv set — and a child that crashes means a corrupt file, not a dead
// galaxyd. Every binary that calls Verify must call RunVerifyChild first thing in main
// (and in TestMain).

// VerifyChildEnv names the file a child process started by Verify checks.
const VerifyChildEnv = "GALAXY_STORE_VERIFY"

// ErrCorrupt is wrapped by the errors of Verify and Open for a file that is not a
// sound bbolt store.
var ErrCorrupt = errors.New("the store file is corrupt")

// VerifyTimeout bounds the child's check; a check that hangs means a broken file.
const VerifyTimeout = 2 * time.Minute

// Verify checks the store file at path without opening it in this process: its meta
// pages (magic, checksum, a size that covers every page they name) here, then a full
// bbolt consistency check (every page reachable or free, none twice) in a child
// process. A missing or empty file is not corrupt (it is a new store): Verify returns
// nil. Errors wrap ErrCorrupt and name the file and what is wrong.
func Verify(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || err == nil && fi.Size() == 0 {
		return nil
	} else if err != nil {
		return fmt.Errorf("store: %s: %w", path, err)
	}
	if err := checkMeta(path, fi.Size()); err != nil {
		return fmt.Errorf("store: %s: %w: %v", path, ErrCorrupt, err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("store: verify %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, VerifyTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), VerifyChildEnv+"="+path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("store: %s: %w: the check did not finish within %s", path, ErrCorrupt, VerifyTimeout)
		}
		return fmt.Errorf("store: %s: %w: %s", path, ErrCorrupt, firstLines(out.String(), 3))
	}
	return nil
}

// RunVerifyChild checks the file named by VerifyChildEnv and exits (0: sound, 1: not)
// when the variable is set; it returns at once otherwise.
func RunVerifyChild() {
	path := os.Getenv(VerifyChildEnv)
	if path == "" {
		return
	}
	if err := checkFull(path); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// checkFull opens path read-only and runs bbolt's consistency check over every page.
// It may panic or fault on a garbled file: it runs in a child process.
func checkFull(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: DefaultTimeout})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		var problems []string
		for err := range tx.Check() {
			problems = append(problems, err.Error())
		}
		if len(problems) > 0 {
			return fmt.Errorf("%d problems, the first: %s", len(problems), problems[0])
		}
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("bucket %s is missing", name)
			}
		}
		return nil
	})
}

// bbolt's file format: two meta pages at the start of the file, each a 16-byte page
// header followed by the meta record (go.etcd.io/bbolt/internal/common/meta.go).
const (
	pageHeaderSize = 16
	metaSize       = 64 // magic..checksum
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	noFreelist     = 0xFFFFFFFFFFFFFFFF
)

type meta struct {
	magic, version, pageSize, flags uint32
	root, sequence, freelist, pgid  uint64
	txid, checksum                  uint64
	sum                             uint64 // computed over the bytes before checksum
}

func parseMeta(b []byte) meta {
	le := binary.LittleEndian
	h := fnv.New64a()
	_, _ = h.Write(b[:metaSize-8])
	return meta{
		magic: le.Uint32(b[0:]), version: le.Uint32(b[4:]), pageSize: le.Uint32(b[8:]), flags: le.Uint32(b[12:]),
		root: le.Uint64(b[16:]), sequence: le.Uint64(b[24:]), freelist: le.Uint64(b[32:]), pgid: le.Uint64(b[40:]),
		txid: le.Uint64(b[48:]), checksum: le.Uint64(b[56:]), sum: h.Sum64(),
	}
}

func (m meta) valid() bool {
	return m.magic == boltMagic && m.version == boltVersion && m.checksum == m.sum &&
		m.pageSize >= 512 && m.pageSize <= 1<<20 && m.pageSize&(m.pageSize-1) == 0
}

// checkMeta validates the meta pages of a file of size bytes as bbolt would pick one
// (the valid one with the higher transaction id) and checks that the file is long
// enough for every page that meta names: bbolt would otherwise fault on them.
func checkMeta(path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	first := make([]byte, pageHeaderSize+metaSize)
	if _, err := io.ReadFull(f, first); err != nil {
		return fmt.Errorf("too short for a bbolt file (%d bytes)", size)
	}
	m0 := parseMeta(first[pageHeaderSize:])
	var candidates []meta
	if m0.valid() {
		candidates = append(candidates, m0)
	}
	pageSize := int64(4096)
	if m0.valid() {
		pageSize = int64(m0.pageSize)
	}
	second := make([]byte, pageHeaderSize+metaSize)
	if _, err := f.ReadAt(second, pageSize); err == nil {
		if m1 := parseMeta(second[pageHeaderSize:]); m1.valid() {
			candidates = append(candidates, m1)
		}
	}
	if len(candidates) == 0 {
		return errors.New("no valid meta page (not a bbolt file, or its first pages are garbled)")
	}
	m := candidates[0]
	if len(candidates) == 2 && candidates[1].txid > m.txid {
		m = candidates[1]
	}
	need := int64(m.pgid) * int64(m.pageSize)
	switch {
	case m.pgid < 2 || need < 0 || need/int64(m.pageSize) != int64(m.pgid):
		return fmt.Errorf("meta names an impossible page count %d", m.pgid)
	case size < need:
		return fmt.Errorf("truncated: %d bytes, but its pages need %d", size, need)
	case m.root >= m.pgid:
		return fmt.Errorf("root page %d is past the last page %d", m.root, m.pgid-1)
	case m.freelist != noFreelist && m.freelist >= m.pgid:
		return fmt.Errorf("freelist page %d is past the last page %d", m.freelist, m.pgid-1)
	}
	return nil
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "; ")
}
