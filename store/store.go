// Package store implements orchestrator.Store on a single bbolt file.
//
// Layout (one bucket per noun, JSON values unless noted):
//
//	meta             "schema" -> 8-byte big-endian schema version
//	games            game ID (16 bytes) -> Game
//	runtimes         game ID (16 bytes) -> Runtime
//	secrets          game ID (16 bytes) -> engine admin token (raw bytes, not JSON)
//	operations       operation ID (16 bytes, UUIDv7, so byte order is time order) -> Operation
//	game_ops         game ID + operation ID (32 bytes) -> empty; index for GameOperations
//	pending_ops      operation ID (16 bytes) -> empty; queued and running operations
//	engine_versions  version string -> EngineVersion
//	idempotency      Idempotency-Key string -> {gameId, requestHash, createdAt}
//	counts           "<status>\x00<health>" or "paused" -> 8-byte count of runtimes
//	turn_figures     game ID + 8-byte turn -> the races' figures after that turn
//	orders_journal   game ID + 8-byte turn + race ID -> the race's last accepted orders
//	events           seq (8-byte big-endian, from the bucket's sequence) -> Event; kept
//	                 after delivery for a while, for the live feed (meta
//	                 "events_delivered" -> 8-byte seq of the last one delivered)
//
// The two index buckets are maintained by the write methods in the same transaction as
// the rows they point at, so they can never disagree with them after a commit.
package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	json "github.com/segmentio/encoding/json"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout version this package reads and writes. It is stored in
// the meta bucket of every file; a file with a higher number was written by a newer
// galaxyd and is refused rather than misread, one with a lower number is upgraded.
// Version 2 added the maintained runtime counts; 3 dropped their per-runtime keys.
const SchemaVersion = 3

// ErrSchemaTooNew is returned (wrapped) by Open for a file whose schema version is newer
// than SchemaVersion.
var ErrSchemaTooNew = errors.New("store file was written by a newer version of galaxyd")

// Defaults of the options.
const (
	// DefaultTimeout is how long Open waits for the file lock held by another process.
	DefaultTimeout = 5 * time.Second
	// DefaultBatchDelay turns group commit on (see commit.go): concurrent Updates share
	// one fsync'd commit, and a lone writer commits at once.
	DefaultBatchDelay = 2 * time.Millisecond
	// MaxGroup bounds the Updates of one group commit.
	MaxGroup = 1000
)

var (
	bucketMeta           = []byte("meta")
	bucketGames          = []byte("games")
	bucketRuntimes       = []byte("runtimes")
	bucketSecrets        = []byte("secrets")
	bucketOperations     = []byte("operations")
	bucketGameOps        = []byte("game_ops")
	bucketPendingOps     = []byte("pending_ops")
	bucketEngineVersions = []byte("engine_versions")
	bucketIdempotency    = []byte("idempotency")
	bucketEvents         = []byte("events")

	allBuckets = [][]byte{
		bucketMeta, bucketGames, bucketRuntimes, bucketSecrets, bucketOperations,
		bucketGameOps, bucketPendingOps, bucketEngineVersions, bucketIdempotency,
		bucketEvents, bucketCounts, bucketFigures, bucketJournal,
	}

	keySchema          = []byte("schema")
	keyEventsDelivered = []byte("events_delivered")
)

// Option configures Open.
type Option func(*options)

type options struct {
	timeout    time.Duration
	batchDelay time.Duration
	onError    func(error)
}

// WithTimeout sets how long Open waits for the file lock before it fails (default
// DefaultTimeout). A lock held by another galaxyd then gives a clear error instead of a
// hang. Zero waits forever.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithBatchDelay turns group commit off with zero: every Update then commits and
// fsyncs on its own. Any other value (the default) keeps it on.
func WithBatchDelay(d time.Duration) Option { return func(o *options) { o.batchDelay = d } }

// WithOnError sets a function called with every write the store could not commit (a
// full or failing disk), for metrics. It must not block.
func WithOnError(fn func(error)) Option { return func(o *options) { o.onError = fn } }

// Store is an orchestrator.Store backed by one bbolt file. It is safe for concurrent
// use; bbolt allows one writer and many readers at a time.
type Store struct {
	path    string
	db      *bolt.DB
	batch   bool
	commits *committer
	onError func(error)
	// failing holds the error of the last commit when it failed and no commit has
	// succeeded since (nil otherwise): what Healthy reports.
	failing atomic.Pointer[storageFailure]
}

// storageFailure is a write the disk refused, and since when writes fail.
type storageFailure struct {
	err   error
	since time.Time
}

var _ orchestrator.Store = (*Store)(nil)

// Open opens (or creates) the store file at path, creating its parent directory with
// mode 0700 if missing and the file with mode 0600. It fails if another process holds
// the file for longer than the timeout, if the file is not a bbolt file, or if its
// schema is newer than SchemaVersion (ErrSchemaTooNew).
func Open(path string, opts ...Option) (*Store, error) {
	o := options{timeout: DefaultTimeout, batchDelay: DefaultBatchDelay}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" {
		return nil, errors.New("store: open: empty path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create directory of %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      o.timeout,
		FreelistType: bolt.FreelistMapType, // O(1) page allocation as the file grows
		// The free list is rebuilt from the pages at open rather than written with every
		// commit (as etcd does): a commit of a few records writes those records' pages,
		// not a free list of thousands of pages.
		NoFreelistSync: true,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("store: %s is locked by another process (is another galaxyd running?), gave up after %s: %w", path, o.timeout, err)
	} else if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// NoSync stays false: an Update returns only after its commit is fsync'd.
	s := &Store{path: path, db: db, batch: o.batchDelay > 0, onError: o.onError, commits: &committer{db: db, max: MaxGroup}}
	var ready bool
	if err := db.View(func(tx *bolt.Tx) (err error) { ready, err = s.ready(tx); return err }); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if ready {
		return s, nil // nothing to create: opening writes nothing
	}
	if err := db.Update(s.init); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return s, nil
}

// ready reports whether the file already has this schema version and every bucket;
// it fails for a file of a newer galaxyd (ErrSchemaTooNew) or a corrupt version.
func (s *Store) ready(tx *bolt.Tx) (bool, error) {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return false, nil
	}
	v := b.Get(keySchema)
	if v == nil {
		return false, nil
	}
	if len(v) != 8 {
		return false, fmt.Errorf("corrupt schema version (%d bytes)", len(v))
	}
	if n := binary.BigEndian.Uint64(v); n > SchemaVersion {
		return false, fmt.Errorf("schema version %d, this galaxyd supports up to %d: %w", n, SchemaVersion, ErrSchemaTooNew)
	} else if n < SchemaVersion {
		return false, nil
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return false, nil
		}
	}
	return true, nil
}

// init checks the schema version before touching anything, then creates the buckets
// that are missing, so a file from a newer galaxyd is left exactly as it was.
func (s *Store) init(tx *bolt.Tx) error {
	if _, err := s.ready(tx); err != nil {
		return err
	}
	var from uint64
	if b := tx.Bucket(bucketMeta); b != nil {
		if v := b.Get(keySchema); len(v) == 8 {
			from = binary.BigEndian.Uint64(v)
		}
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	if from < 2 {
		if err := rebuildCounts(tx); err != nil {
			return fmt.Errorf("count runtimes: %w", err)
		}
	}
	if from < 3 && tx.Bucket(bucketRuntimeKeysV2) != nil {
		if err := tx.DeleteBucket(bucketRuntimeKeysV2); err != nil {
			return fmt.Errorf("drop runtime_keys: %w", err)
		}
	}
	return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint64(nil, SchemaVersion))
}

// Backup writes a consistent copy of the whole store file to w while the store keeps
// serving (one read transaction: bbolt's Tx.WriteTo), and returns its size. The copy is
// a store file: stop galaxyd, put it in place of galaxy.db, start galaxyd.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// Close releases the file and its lock. It waits for running transactions to finish.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}

// View implements orchestrator.Store: fn runs in a read-only transaction that sees one
// consistent snapshot. fn's error is returned unchanged.
func (s *Store) View(ctx context.Context, fn func(orchestrator.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(btx *bolt.Tx) error { return fn(&tx{tx: btx}) })
}

// Update implements orchestrator.Store: fn runs in a read-write transaction that is
// committed and fsync'd before Update returns. Concurrent Updates are coalesced into one
// commit (bbolt's Batch); if another fn of the same batch fails, fn runs again, so fn
// must have no effect outside tx. An error from fn rolls fn's writes back and is
// returned unchanged. ctx is checked before the transaction starts only: once a commit
// is under way it is not abandoned.
//
// An error that is not fn's — the commit could not be written: a full disk, an I/O
// error — is EUNAVAILABLE coded as ErrStorage ("storage_unavailable" in the API), and
// Healthy reports it until a commit succeeds again.
func (s *Store) Update(ctx context.Context, fn func(orchestrator.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var fnErr error
	wrapped := func(btx *bolt.Tx) error {
		fnErr = fn(&tx{tx: btx})
		return fnErr
	}
	var err error
	if s.batch {
		err = s.commits.update(wrapped, orchestrator.HasPriority(ctx))
	} else {
		err = s.db.Update(wrapped)
	}
	switch {
	case err == nil:
		s.failing.Store(nil)
		return nil
	case err == fnErr: //nolint:errorlint // identity: the error is fn's own, unchanged
		return err
	}
	if f := s.failing.Load(); f == nil {
		s.failing.Store(&storageFailure{err: err, since: time.Now()})
	}
	if s.onError != nil {
		s.onError(err)
	}
	return fmt.Errorf("%w: %v", &orchestrator.Error{Code: orchestrator.ESTORAGE, Message: "the store cannot write right now (" + cause(err) + "); retry later"}, err)
}

// Healthy returns nil while the store's writes succeed, and ESTORAGE, naming the cause
// and since when, after a commit failed and until one succeeds again: what /readyz
// reports.
func (s *Store) Healthy() error {
	f := s.failing.Load()
	if f == nil {
		return nil
	}
	return &orchestrator.Error{Code: orchestrator.ESTORAGE, Message: fmt.Sprintf("the store cannot write since %s: %s", f.since.UTC().Format(time.RFC3339), cause(f.err))}
}

// cause names why a write failed without the file's path: the system's reason ("no
// space left on device") when there is one.
func cause(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return "write failed"
}

// tx implements orchestrator.Tx over one bbolt transaction. It is valid only inside
// the fn it was handed to.
type tx struct {
	tx *bolt.Tx
}

var _ orchestrator.Tx = (*tx)(nil)

// bucket returns a bucket created by Open; it is never nil in a file that Open accepted.
func (t *tx) bucket(name []byte) *bolt.Bucket { return t.tx.Bucket(name) }

// writable fails write methods called inside View before they touch anything.
func (t *tx) writable(what string) error {
	if !t.tx.Writable() {
		return fmt.Errorf("store: %s: %w", what, berrors.ErrTxNotWritable)
	}
	return nil
}

// get decodes the JSON value at key into v. It reports false when the key is absent.
func get(b *bolt.Bucket, key []byte, v any, what string) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	return true, decode(data, v, what)
}

// decode unmarshals a stored JSON value. json.Unmarshal copies everything it keeps, so
// v owns no bbolt memory (which is only valid until the transaction ends) and callers
// may keep and mutate it. A corrupt value is an error, never a panic.
func decode(data []byte, v any, what string) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("store: decode %s: %w", what, err)
	}
	return nil
}

// put stores v as JSON at key.
func put(b *bolt.Bucket, key []byte, v any, what string) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s: %w", what, err)
	}
	if err := b.Put(key, data); err != nil {
		return fmt.Errorf("store: put %s: %w", what, err)
	}
	return nil
}

// del removes key, wrapping bbolt's error with what was being removed.
func del(b *bolt.Bucket, key []byte, what string) error {
	if err := b.Delete(key); err != nil {
		return fmt.Errorf("store: delete %s: %w", what, err)
	}
	return nil
}

// notFound is the ENOTFOUND error every getter returns for a missing key.
func notFound(format string, args ...any) error {
	return orchestrator.Errorf(orchestrator.ENOTFOUND, format+" not found", args...)
}

// idKey is the 16-byte key of a UUID; the slice does not alias id.
func idKey(id uuid.UUID) []byte { return append([]byte(nil), id[:]...) }

// keyID turns a 16-byte key back into a UUID, copying it out of bbolt memory.
func keyID(k []byte, what string) (uuid.UUID, error) {
	id, err := uuid.FromBytes(k)
	if err != nil {
		return uuid.Nil, fmt.Errorf("store: corrupt %s key %x: %w", what, k, err)
	}
	return id, nil
}

// errInvalid reports a value the store refuses to write. These are programming errors
// of the caller (the API validates user input long before), so they are not EINVALID:
// a client must never see them as its own fault.
func errInvalid(format string, args ...any) error {
	return fmt.Errorf("store: "+format, args...)
}
