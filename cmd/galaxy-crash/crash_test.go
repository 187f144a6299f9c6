package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// galaxydBin and engineBin are the real binaries, built once for the package's tests.
var galaxydBin, engineBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "galaxy-crash-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	galaxydBin, engineBin = filepath.Join(dir, "galaxyd"), filepath.Join(dir, "galaxy-engine")
	for bin, pkg := range map[string]string{galaxydBin: "../galaxyd", engineBin: "../galaxy-engine"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestCrash runs the harness against the real daemon: 50 kills (5 with -short), and
// fails with every violation it finds, grouped by check.
func TestCrash(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Galaxyd, cfg.Engine = galaxydBin, engineBin
	cfg.WorkDir = t.TempDir()
	// Short runs before each kill keep 50 kills within about a minute on two cores;
	// the long runs of the Makefile use the command's wider defaults.
	cfg.MinDelay, cfg.MaxDelay = 100*time.Millisecond, 900*time.Millisecond
	cfg.Games = 8
	// The timeout only stops a run that hangs: the test wants all its kills, and the
	// kill loop gets the timeout less 90 s for them (35 s beside two busy loops,
	// 60 s inside make test), so it must be far above any machine's pace.
	cfg.Timeout = 6 * time.Minute
	if testing.Short() {
		cfg.Kills, cfg.Games = 5, 4
	}
	cfg.Log = testWriter{t}
	res, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var sum strings.Builder
	res.Summary(&sum)
	t.Log("\n" + sum.String())

	if got, want := res.Kills, cfg.Kills; got != want {
		t.Errorf("kills: got %d, want %d", got, want)
	}
	if got, want := res.GamesAcked, cfg.Games; got < want {
		t.Errorf("acknowledged games: got %d, want at least %d", got, want)
	}
	if res.Turns == 0 {
		t.Errorf("turns: got 0, want some: the run exercised nothing")
	}
	for _, check := range []string{CheckAcked, CheckTerminal, CheckTurns, CheckOrphan, CheckTwin, CheckBolt, CheckDaemon, CheckSettle} {
		for _, v := range res.ViolationsOf(check) {
			t.Errorf("%s", v)
		}
	}
	if t.Failed() {
		b, _ := os.ReadFile(filepath.Join(cfg.WorkDir, "galaxyd.log"))
		if len(b) > 8000 {
			b = b[len(b)-8000:]
		}
		t.Logf("end of galaxyd.log:\n%s", b)
	}
}

// testWriter sends the harness's progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
