package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
)

// daemon is the galaxyd under test, as a child process; it is started again on the
// same data directory and port after every kill.
type daemon struct {
	bin    string
	args   []string
	logf   string // galaxyd.log, appended to by every run
	client *ghttp.Client

	cmd  *exec.Cmd
	done chan struct{} // closed once cmd has exited and been reaped
}

// start runs galaxyd and waits until /readyz answers 200, the process exits, or ctx
// ends.
func (d *daemon) start(ctx context.Context) error {
	log, err := os.OpenFile(d.logf, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	fmt.Fprintf(log, "---- galaxy-crash: start at %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(d.bin, d.args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	d.cmd, d.done = cmd, done

	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for {
		if d.client.Ready(ctx) == nil {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("galaxyd exited before it was ready (%v): %s", cmd.ProcessState, d.logTail())
		case <-deadline.C:
			d.kill()
			return fmt.Errorf("galaxyd not ready after 30s: %s", d.logTail())
		case <-ctx.Done():
			d.kill()
			return ctx.Err()
		case <-poll.C:
		}
	}
}

// pid is the running daemon's pid, 0 when none runs.
func (d *daemon) pid() int {
	if d.cmd == nil || d.exited() {
		return 0
	}
	return d.cmd.Process.Pid
}

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits until the process is reaped.
func (d *daemon) kill() {
	if d.cmd == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
}

// terminate sends SIGTERM and waits up to grace for a clean exit. It returns an error
// (after a SIGKILL) when the daemon does not exit in time or exits with a failure.
func (d *daemon) terminate(grace time.Duration) error {
	if d.cmd == nil || d.exited() {
		return errors.New("galaxyd was not running at the final shutdown")
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-d.done:
	case <-t.C:
		d.kill()
		return fmt.Errorf("galaxyd did not exit within %s of SIGTERM", grace)
	}
	if !d.cmd.ProcessState.Success() {
		return fmt.Errorf("galaxyd exited with %v after SIGTERM: %s", d.cmd.ProcessState, d.logTail())
	}
	return nil
}

// logTail returns the last lines of galaxyd.log, for error messages.
func (d *daemon) logTail() string {
	b, _ := os.ReadFile(d.logf)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// freeLoopbackPort returns a port free on 127.0.0.1 *below* the kernel's ephemeral
// range. galaxyd keeps its port across restarts, and the engines it starts listen on
// ports the kernel picks from the ephemeral range: a port from that range could be
// taken by an engine while galaxyd is down, and the restart would fail to bind.
func freeLoopbackPort(rng *rand.Rand) (int, error) {
	lo := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 11000 {
				lo = n
			}
		}
	}
	for range 200 {
		port := 10000 + rng.IntN(lo-10000)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, errors.New("no free port on 127.0.0.1 below the ephemeral range")
}

// copyFile copies src to dst with mode; the engine copy gets a path unique to the run.
func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}
