package local

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDriver_orphan covers an engine that a previous galaxyd left running: Instances
// reports it, Start terminates it before starting a new engine on the same state.
func TestDriver_orphan(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		d := MustOpenDriver(t, Config{})
		spec := newSpec(t)
		dir := d.stateDir(spec.GameID)
		if _, err := privateDir(dir); err != nil {
			t.Fatal(err)
		}
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		// The "previous galaxyd" is this test: the orphan is our child, not the driver's.
		cmd := exec.Command(testCommand(t))
		cmd.Env = []string{roleEnv + "=engine", "GORACE=atexit_sleep_ms=0", "GAME_STATE_PATH=" + dir, fmt.Sprintf("GALAXY_ENGINE_ADDR=127.0.0.1:%d", port)}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		orphanDone := make(chan struct{})
		go func() { cmd.Wait(); close(orphanDone) }()
		t.Cleanup(func() { cmd.Process.Kill(); <-orphanDone })
		pid := cmd.Process.Pid
		start, _ := procStat(pid)
		if err := writePidfile(dir, &pidfile{PID: pid, Start: start, Port: port, Version: "0.9.0"}); err != nil {
			t.Fatal(err)
		}
		endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
		waitFor(t, 20*time.Second, "the orphan to listen", func() bool { return healthy(context.Background(), endpoint) })

		insts, err := d.Instances(context.Background())
		if err != nil {
			t.Fatal(err)
		} else if len(insts) != 1 {
			t.Fatalf("instances %+v, want the orphan", insts)
		} else if in := insts[0]; in.GameID != spec.GameID || !in.Running || in.Endpoint != endpoint || in.Version != "0.9.0" {
			t.Fatalf("orphan reported as %+v, want game %s running at %s", in, spec.GameID, endpoint)
		}

		MustStart(t, d, spec)
		select {
		case <-orphanDone:
		case <-time.After(10 * time.Second):
			t.Fatal("the orphan still runs after Start")
		}
		if got, want := MustReadFile(t, dir, "sigterm"), strconv.Itoa(pid); got != want {
			t.Fatalf("sigterm recorded by %q, want the orphan %q", got, want)
		}
		if got, want := starts(t, dir), 2; got != want {
			t.Fatalf("%d starts, want %d", got, want)
		}
		if pf, err := readPidfile(dir); err != nil {
			t.Fatal(err)
		} else if pf == nil || pf.PID != enginePID(d, spec.GameID) {
			t.Fatalf("pidfile %+v, want the new engine's", pf)
		}
	})

	t.Run("StalePidfile", func(t *testing.T) {
		d := MustOpenDriver(t, Config{})
		spec := newSpec(t)
		dir := d.stateDir(spec.GameID)
		if _, err := privateDir(dir); err != nil {
			t.Fatal(err)
		}
		// Our own pid with another start time: a recycled pid, not an engine.
		self := os.Getpid()
		start, _ := procStat(self)
		if err := writePidfile(dir, &pidfile{PID: self, Start: start + 1, Port: 1}); err != nil {
			t.Fatal(err)
		}
		if insts, err := d.Instances(context.Background()); err != nil {
			t.Fatal(err)
		} else if len(insts) != 0 {
			t.Fatalf("instances %+v, want none", insts)
		}
		MustStart(t, d, spec) // and it does not signal us
	})
}

// TestDriver_pdeathsig kills a galaxyd with SIGKILL and checks that its engine exits
// with it (Linux: Pdeathsig).
func TestDriver_pdeathsig(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("Pdeathsig is Linux-only")
	}
	data := t.TempDir()
	cmd := exec.Command(testCommand(t))
	cmd.Env = append(os.Environ(), roleEnv+"=galaxyd", "GALAXY_LOCAL_TEST_DATA="+data, "GORACE=atexit_sleep_ms=0")
	cmd.Stderr = testWriter{t}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })

	var pid int
	select {
	case line := <-lines:
		if pid, err = strconv.Atoi(strings.TrimSpace(line)); err != nil {
			t.Fatalf("fake galaxyd said %q, want an engine pid", line)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("fake galaxyd did not start its engine")
	}
	if !alive(pid) {
		t.Fatalf("engine %d is not running", pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	waitFor(t, 10*time.Second, "the engine to die with its galaxyd", func() bool { return !alive(pid) })

	// The pidfile is stale now: nothing is reported as an orphan.
	d := MustOpenDriver(t, Config{DataDir: data})
	if insts, err := d.Instances(context.Background()); err != nil {
		t.Fatal(err)
	} else if len(insts) != 0 {
		t.Fatalf("instances %+v, want none", insts)
	}
	entries, _ := os.ReadDir(filepath.Join(data, gamesDir))
	if len(entries) != 1 {
		t.Fatalf("%d state dirs, want 1", len(entries))
	}
}
