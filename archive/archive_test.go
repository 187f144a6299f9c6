package archive

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/archive/archivetest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
)

// TestFile runs the suite on the file backend, in a directory of its own per archive.
func TestFile(t *testing.T) {
	archivetest.Run(t, archivetest.Backend{
		Open: func(t *testing.T, clock orchestrator.Clock) orchestrator.Archive {
			return openFile(t, WithClock(clock))
		},
		Corrupt: corruptSnapshot,
	})
}

// TestS3 runs the suite on the S3 backend against an S3-protocol server in the test
// (gofakes3, in memory), a bucket of its own per archive.
func TestS3(t *testing.T) {
	s := newFakeS3(t)
	archivetest.Run(t, archivetest.Backend{
		Open: func(t *testing.T, clock orchestrator.Clock) orchestrator.Archive {
			return s.open(t, WithClock(clock))
		},
		Corrupt: corruptSnapshot,
	})
}

// openFile opens a file archive in a new directory (which Open creates).
func openFile(t testing.TB, opts ...Option) *Archive {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "archive")
	a, err := Open(context.Background(), "file://"+filepath.ToSlash(dir), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Error(err)
		}
	})
	return a
}

// fakeS3 is an S3-protocol server on loopback, with static test credentials in the
// environment for the AWS SDK's default chain (and no shared config files or instance
// metadata to look for).
type fakeS3 struct {
	backend *s3mem.Backend
	url     string
	buckets atomic.Int64
}

func newFakeS3(t testing.TB) *fakeS3 {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "test-access-key",
		"AWS_SECRET_ACCESS_KEY":       "test-secret-key-0123456789",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_REGION":                  "",
	} {
		t.Setenv(k, v)
	}
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return &fakeS3{backend: backend, url: srv.URL}
}

// bucketURL creates a new bucket and returns its archive URL.
func (s *fakeS3) bucketURL(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("archive-%d", s.buckets.Add(1))
	if err := s.backend.CreateBucket(name); err != nil {
		t.Fatal(err)
	}
	return "s3://" + name + "?region=us-east-1&use_path_style=true&endpoint=" + s.url
}

// open opens an archive in a new bucket.
func (s *fakeS3) open(t testing.TB, opts ...Option) *Archive {
	t.Helper()
	a, err := Open(context.Background(), s.bucketURL(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Error(err)
		}
	})
	return a
}

// corruptSnapshot flips one bit in the middle of a stored snapshot, keeping its
// metadata and size: what a failing disk or a bad copy does.
func corruptSnapshot(t *testing.T, oa orchestrator.Archive, id uuid.UUID, line, turn int) {
	t.Helper()
	a := oa.(*Archive)
	ctx := context.Background()
	key := snapshotKey(id, line, turn)
	attrs, err := a.bucket.Attributes(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := a.bucket.ReadAll(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := a.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: attrs.ContentType, Metadata: attrs.Metadata}); err != nil {
		t.Fatal(err)
	}
}
