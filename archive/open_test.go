package archive

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// TestOpenRefuses: malformed URLs, unsupported schemes, credentials in the URL and
// file URLs that are not absolute directories are EINVALID, naming no secret.
func TestOpenRefuses(t *testing.T) {
	newFakeS3(t) // the AWS SDK's environment, so that nothing is looked up
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{
		"",
		"archive",
		"%zz",
		"ftp://host/dir",
		"mem://",
		"s3://AKIAEXAMPLE:sekret-password@bucket?region=us-east-1",
		"file://user:sekret-password@/tmp/x",
		"file://./relative",
		"file://host/dir",
		"file:relative",
		"file://" + filepath.ToSlash(dir) + "?metadata=skip",
		"s3://?region=us-east-1",
		"s3://bucket?no_such_option=sekret-password",
	} {
		a, err := Open(context.Background(), url)
		if err == nil {
			_ = a.Close()
			t.Errorf("Open(%q) succeeded", url)
			continue
		}
		if code := orchestrator.ErrorCode(err); code != orchestrator.EINVALID {
			t.Errorf("Open(%q): code %s (%v), want %s", url, code, err, orchestrator.EINVALID)
		}
		if strings.Contains(err.Error(), "sekret") {
			t.Errorf("Open(%q): the error shows a secret: %v", url, err)
		}
	}
	// A file where the directory should be cannot be reached as one.
	_, err := Open(context.Background(), "file://"+filepath.ToSlash(file))
	if code := orchestrator.ErrorCode(err); code != orchestrator.EUNAVAILABLE {
		t.Errorf("Open of a file: code %s (%v), want %s", code, err, orchestrator.EUNAVAILABLE)
	}
}

// TestOpenS3Errors: a bucket that does not exist is ENOTFOUND, a store that does not
// answer is EUNAVAILABLE, and neither error nor String shows the URL's query.
func TestOpenS3Errors(t *testing.T) {
	s := newFakeS3(t)
	query := "?region=us-east-1&use_path_style=true&endpoint=" + s.url
	_, err := Open(context.Background(), "s3://no-such-bucket"+query)
	if code := orchestrator.ErrorCode(err); code != orchestrator.ENOTFOUND {
		t.Errorf("a missing bucket: code %s (%v), want %s", code, err, orchestrator.ENOTFOUND)
	}
	// A loopback port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	_ = l.Close()
	_, err = Open(context.Background(), "s3://bucket?region=us-east-1&use_path_style=true&endpoint="+dead)
	if code := orchestrator.ErrorCode(err); code != orchestrator.EUNAVAILABLE {
		t.Errorf("an unreachable store: code %s (%v), want %s", code, err, orchestrator.EUNAVAILABLE)
	}
	if strings.Contains(err.Error(), "region=") || strings.Contains(err.Error(), "endpoint=") {
		t.Errorf("the error shows the URL's query: %v", err)
	}
	a := s.open(t)
	if got := a.String(); strings.Contains(got, "?") || !strings.HasPrefix(got, "s3://archive-") {
		t.Errorf("String() = %q, want the URL without its query", got)
	}
}

// TestScrub: error texts lose every URL's query, the archive's query and the
// credentials' values.
func TestScrub(t *testing.T) {
	a := &Archive{
		name:     "azblob://games",
		rawURL:   "azblob://games?domain=example.net",
		rawQuery: "domain=example.net",
		secrets:  []string{"account-key-0123456789"},
	}
	in := `PUT https://acct.blob.core.windows.net/games/x?sv=2021&sig=SIGNATURE123 failed; ` +
		`open azblob://games?domain=example.net: key account-key-0123456789 refused`
	got := a.scrub(in)
	for _, secret := range []string{"SIGNATURE123", "domain=example.net", "account-key-0123456789"} {
		if strings.Contains(got, secret) {
			t.Errorf("scrub left %q in %q", secret, got)
		}
	}
	if !strings.Contains(got, "https://acct.blob.core.windows.net/games/x") || !strings.Contains(got, "azblob://games") {
		t.Errorf("scrub removed more than the secrets: %q", got)
	}
}
