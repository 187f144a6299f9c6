package archive

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"net/url"
	"os"
	"path/filepath"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/klauspost/compress/zstd"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
)

// Limits and defaults.
const (
	// DefaultMaxSnapshotBytes bounds a snapshot document, uncompressed and as stored:
	// PutSnapshot refuses a larger document, and reading never inflates an object past
	// it, so a damaged or hostile object cannot exhaust memory. Engines refuse far
	// smaller ones (the reference engine restores at most 64 MiB).
	DefaultMaxSnapshotBytes = 256 << 20
	// MaxRecordBytes bounds a game's record (PutRecord refuses a larger one).
	MaxRecordBytes = 16 << 20
	// DefaultListConcurrency is how many snapshots' metadata Snapshots reads at once.
	DefaultListConcurrency = 8
)

var _ orchestrator.Archive = (*Archive)(nil)

// Archive is an orchestrator.Archive in one gocloud bucket. It is safe for concurrent
// use. Make it with Open (from a URL) or New (over a bucket already open).
type Archive struct {
	bucket *blob.Bucket
	// name is the bucket's URL without query or userinfo: what String and errors show.
	name string
	// rawURL and rawQuery are scrubbed from error texts; secrets likewise (the values
	// of the SDKs' credential variables at Open).
	rawURL, rawQuery string
	secrets          []string
	// dir is the file backend's root directory, "" for the others.
	dir string

	clock       orchestrator.Clock
	maxSnapshot int64
	level       zstd.EncoderLevel
	concurrency int
	codec       *codec
	locks       keyLocks
}

// Option configures New and Open.
type Option func(*Archive)

// WithClock sets the clock that stamps a snapshot's CreatedAt (default
// orchestrator.SystemClock); nil keeps the default.
func WithClock(c orchestrator.Clock) Option {
	return func(a *Archive) {
		if c != nil {
			a.clock = c
		}
	}
}

// WithMaxSnapshotBytes sets the bound on a snapshot document (default
// DefaultMaxSnapshotBytes); n <= 0 keeps the default.
func WithMaxSnapshotBytes(n int64) Option {
	return func(a *Archive) {
		if n > 0 {
			a.maxSnapshot = n
		}
	}
}

// WithCompressionLevel sets the zstd level snapshots are written with (default
// zstd.SpeedDefault). Reading does not depend on it.
func WithCompressionLevel(l zstd.EncoderLevel) Option { return func(a *Archive) { a.level = l } }

// WithListConcurrency sets how many snapshots' metadata Snapshots reads at once
// (default DefaultListConcurrency); n <= 0 keeps the default.
func WithListConcurrency(n int) Option {
	return func(a *Archive) {
		if n > 0 {
			a.concurrency = n
		}
	}
}

// New returns an Archive over b, an open bucket, which it owns from then on (Close
// closes it): for a bucket Open cannot make (credentials or a client of the caller's
// own). name is what String and errors call the bucket; it must hold no secret. What
// Open adds for file:// URLs (modes 0700 and 0600, fsync, one writer of a key at a
// time) is not done for a fileblob bucket given here.
func New(b *blob.Bucket, name string, opts ...Option) (*Archive, error) {
	a := newArchive(name, opts)
	a.bucket = b
	if err := a.init(); err != nil {
		return nil, err
	}
	return a, nil
}

// newArchive is an Archive with its defaults and opts applied, not yet usable.
func newArchive(name string, opts []Option) *Archive {
	a := &Archive{
		name:        name,
		clock:       orchestrator.SystemClock{},
		maxSnapshot: DefaultMaxSnapshotBytes,
		level:       zstd.SpeedDefault,
		concurrency: DefaultListConcurrency,
	}
	a.locks.seed = maphash.MakeSeed()
	for _, opt := range opts {
		opt(a)
	}
	return a
}

// init makes the codec.
func (a *Archive) init() error {
	c, err := newCodec(a.level, a.maxSnapshot)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	a.codec = c
	return nil
}

// Open opens the archive at rawURL and checks that it can be reached:
//
//	file:///abs/dir          a directory, created (mode 0700) when missing; objects are written mode 0600
//	s3://bucket?region=R     AWS S3; for any S3-compatible store add &endpoint=https://host:port&use_path_style=true
//	gs://bucket              Google Cloud Storage (unless built with -tags archive_nogcs)
//	azblob://container       Azure Blob Storage, the account from AZURE_STORAGE_ACCOUNT (unless built with -tags archive_noazure)
//
// The query of s3, gs and azblob URLs takes gocloud's options for each (e.g. s3blob's
// region, endpoint, use_path_style, disable_https, profile). Credentials come from the
// SDKs' standard chains only (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile or a
// role; GOOGLE_APPLICATION_CREDENTIALS or workload identity; AZURE_STORAGE_KEY,
// AZURE_STORAGE_SAS_TOKEN or Azure identity); a URL with userinfo is refused.
//
// Errors: EINVALID for a malformed URL, an unsupported scheme or options the backend
// refuses, ENOTFOUND when the bucket does not exist, EUNAVAILABLE when it cannot be
// reached.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Archive, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the URL: say only where it failed.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, orchestrator.FieldErrorf("archive.url", "archive URL is malformed: %v", err)
	}
	if u.User != nil {
		return nil, orchestrator.FieldErrorf("archive.url", "archive URL %s must not hold credentials: the SDKs read them from their environment", redact(u))
	}
	a := newArchive(redact(u), opts)
	a.rawURL, a.rawQuery, a.secrets = rawURL, u.RawQuery, credentialValues()
	if a.bucket, a.dir, err = a.openBucket(ctx, u); err != nil {
		return nil, err
	}
	if err := a.init(); err != nil {
		_ = a.bucket.Close()
		return nil, err
	}
	ok, err := a.bucket.IsAccessible(ctx)
	switch {
	case err != nil:
		_ = a.Close()
		return nil, a.backendError("open", "", err)
	case !ok:
		_ = a.Close()
		return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "archive %s: the bucket does not exist", a.name)
	}
	return a, nil
}

// openBucket opens the bucket of u, and returns the file backend's directory.
func (a *Archive) openBucket(ctx context.Context, u *url.URL) (*blob.Bucket, string, error) {
	if u.Scheme == "file" {
		dir, err := fileDir(u)
		if err != nil {
			return nil, "", err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, "", a.backendError("create the directory", "", err)
		}
		b, err := fileblob.OpenBucket(dir, &fileblob.Options{DirFileMode: 0o700, NoTempDir: true})
		if err != nil {
			return nil, "", a.backendError("open", "", err)
		}
		return b, dir, nil
	}
	if !drivers[u.Scheme] {
		return nil, "", orchestrator.FieldErrorf("archive.url", "archive URL scheme %q is not supported by this build (supported: %s)", u.Scheme, schemeList())
	}
	if u.Host == "" {
		return nil, "", orchestrator.FieldErrorf("archive.url", "archive URL %s names no bucket", a.name)
	}
	b, err := blob.OpenBucket(ctx, a.rawURL)
	if err != nil {
		// The drivers refuse unknown or malformed options here, before any request.
		return nil, "", orchestrator.FieldErrorf("archive.url", "archive %s: cannot open: %s", a.name, a.scrub(err.Error()))
	}
	return b, "", nil
}

// fileDir is the directory of a file URL: an absolute path, no host but localhost,
// no query (fileblob's options would change the layout's guarantees).
func fileDir(u *url.URL) (string, error) {
	switch {
	case u.Host != "" && u.Host != "localhost":
		return "", orchestrator.FieldErrorf("archive.url", "archive URL %s: a file URL has no host; write file:///absolute/dir", redact(u))
	case u.RawQuery != "":
		return "", orchestrator.FieldErrorf("archive.url", "archive URL %s: a file URL takes no query", redact(u))
	case u.Path == "" || !filepath.IsAbs(filepath.FromSlash(u.Path)):
		return "", orchestrator.FieldErrorf("archive.url", "archive URL %s: a file URL needs an absolute directory; write file:///absolute/dir", redact(u))
	}
	return filepath.Clean(filepath.FromSlash(u.Path)), nil
}

// String returns the archive's URL without query or userinfo, fit for logs.
func (a *Archive) String() string { return a.name }

// Close releases the bucket and the codec. The Archive must not be used after.
func (a *Archive) Close() error {
	a.codec.close()
	if err := a.bucket.Close(); err != nil {
		return fmt.Errorf("archive %s: close: %s", a.name, a.scrub(err.Error()))
	}
	return nil
}

// redact is u without query, fragment or userinfo.
func redact(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return r.String()
}
