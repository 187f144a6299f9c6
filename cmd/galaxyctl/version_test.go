package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/internal/buildinfo"
)

func TestVersion(t *testing.T) {
	want := buildinfo.Get().String("galaxyctl")
	for _, args := range [][]string{{"version"}, {"-version"}, {"--version"}} {
		code, stdout, stderr := MustRun(t, nil, args...)
		MustCode(t, code, exitOK, stdout, stderr)
		if stdout != want || !strings.HasPrefix(stdout, "galaxyctl ") || !strings.Contains(stdout, "\nRevision ") {
			t.Fatalf("%q: got %q, want %q", args, stdout, want)
		}
	}
	code, stdout, stderr := MustRun(t, nil, "version", "-json")
	MustCode(t, code, exitOK, stdout, stderr)
	var info buildinfo.Info
	if err := json.Unmarshal([]byte(stdout), &info); err != nil || info != buildinfo.Get() {
		t.Fatalf("-json: got %q (%v), want %+v", stdout, err, buildinfo.Get())
	}
}

// TestVersionStamped builds galaxyctl with the -X flags `make build` passes and checks
// that it prints them.
func TestVersionStamped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds galaxyctl")
	}
	bin := filepath.Join(t.TempDir(), "galaxyctl")
	const pkg = "github.com/galaxy-orchestrator/galaxy/internal/buildinfo"
	ldflags := "-X " + pkg + ".version=9.8.7 -X " + pkg + ".commit=0123abc -X " + pkg + ".date=2026-01-02T03:04:05Z"
	if out, err := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "galaxyctl v9.8.7\nRevision 0123abc\nBuildDate 2026-01-02T03:04:05Z\nGo go1.") {
		t.Fatalf("got %q", out)
	}
}
