package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

const (
	// logName is the engine's stdout and stderr, appended to across runs.
	logName = "engine.log"
	// logRotateSize is the size past which engine.log is moved to engine.log.1 when an
	// engine (re)starts, so a crash-looping engine cannot fill the disk.
	logRotateSize = 16 << 20
	// logTailLines and logTailBytes bound the excerpt of engine.log quoted in errors.
	logTailLines = 10
	logTailBytes = 4096
	// portAttempts is how many free ports spawn tries when an engine exits at once
	// because another process took its port between our probe and its bind.
	portAttempts = 3
	// healthPoll is the interval between health checks while an engine starts.
	healthPoll = 50 * time.Millisecond
)

// process is one run of an engine: a child process of galaxyd.
type process struct {
	cmd     *exec.Cmd
	pid     int
	port    int
	started time.Time
	done    chan struct{} // closed once the process has exited and been reaped
	err     error         // the exit status; read only after done is closed
}

// addr is the engine's loopback listen address.
func (p *process) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// endpoint is the engine's base URL.
func (p *process) endpoint() string { return "http://" + p.addr() }

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// spawn starts spec's engine on a free loopback port and waits until it is healthy. An
// engine that exits at once because its port was taken is retried on another port; any
// other failure stops the process and returns an EUNAVAILABLE error quoting the end of
// engine.log. Cancelling ctx kills the starting engine and returns ctx's error.
func (d *Driver) spawn(ctx context.Context, e *engine) (*process, error) {
	if err := d.terminateOrphan(ctx, e.id); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		port, err := d.freePort()
		if err != nil {
			return nil, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "no free loopback port: %v", err)
		}
		p, logOffset, err := d.startProcess(e, port)
		if err != nil {
			return nil, err
		}
		if err := writePidfile(e.dir, &pidfile{PID: p.pid, Start: p.procStart(), Port: port, Version: e.spec.Version.Version, StartedAt: p.started}); err != nil {
			d.logger.Warn("cannot write pidfile", "game_id", e.id, "error", err)
		}
		err = d.waitHealthy(ctx, p)
		if err == nil {
			return p, nil
		}
		d.terminate(p, e.kill)
		_ = removePidfile(e.dir)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, errExited) && attempt < portAttempts && portTaken(p.addr()) {
			d.logger.Warn("engine port was taken, retrying on another port", "game_id", e.id, "port", port)
			continue
		}
		msg := err.Error()
		if tail := logTail(filepath.Join(e.dir, logName), logOffset); tail != "" {
			msg += "; engine.log:\n" + tail
		}
		return nil, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "engine %s did not start: %s", e.spec.Version.Version, msg)
	}
}

// startProcess launches the engine binary and returns the process and the offset in
// engine.log where this run's output starts. The admin token travels only in the
// environment: /proc/<pid>/cmdline is readable by every user, environ is not.
func (d *Driver) startProcess(e *engine, port int) (*process, int64, error) {
	logPath := filepath.Join(e.dir, logName)
	rotateLog(logPath)
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, 0, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "engine log: %v", err)
	}
	// Our copy of the descriptor is not needed once the child inherited it: the engine
	// writes its log itself, so the log survives galaxyd.
	defer logf.Close()
	if err := logf.Chmod(0o600); err != nil {
		return nil, 0, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "engine log: %v", err)
	}
	now := d.now()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	fmt.Fprintf(logf, "--- %s local driver: starting engine %s on %s\n", now.Format(time.RFC3339), e.spec.Version.Version, addr)
	offset, _ := logf.Seek(0, io.SeekEnd)

	cmd := exec.Command(e.spec.Version.Command)
	cmd.Env = d.environ(e, addr)
	cmd.Dir = e.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, 0, orchestrator.Errorf(orchestrator.EINVALID, "cannot run engine command %s: %v", e.spec.Version.Command, err)
	}
	p := &process{cmd: cmd, pid: cmd.Process.Pid, port: port, started: now, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	d.logger.Debug("engine process started", "game_id", e.id, "pid", p.pid, "addr", addr)
	return p, offset, nil
}

// environ is the engine's whole environment: a minimal one (PATH, so that an engine
// written as a script still works), Config.Env, and the engine contract's variables,
// which win. Nothing else from galaxyd's environment leaks in (its own tokens, say).
func (d *Driver) environ(e *engine, addr string) []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	env := []string{"PATH=" + path}
	env = append(env, d.config.Env...)
	env = append(env, "GAME_STATE_PATH="+e.dir, "GALAXY_ENGINE_ADDR="+addr)
	if e.spec.AdminToken != "" {
		env = append(env, "GALAXY_ENGINE_ADMIN_TOKEN="+e.spec.AdminToken)
	}
	return env
}

// errExited is returned by waitHealthy when the engine exits before it is healthy.
var errExited = errors.New("engine exited before it was healthy")

// healthClient checks engines on loopback: never through a proxy, no kept-alive
// connections to processes that come and go.
var healthClient = &http.Client{
	Timeout:   2 * time.Second,
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
}

// waitHealthy polls GET /healthz until it answers 200, the process exits (errExited,
// wrapped with the exit status), Config.HealthTimeout passes or ctx is done.
func (d *Driver) waitHealthy(parent context.Context, p *process) error {
	ctx, cancel := context.WithTimeout(parent, d.config.HealthTimeout.Std())
	defer cancel()
	// A check in flight is abandoned when the process exits: with the port taken by
	// someone else, the check would otherwise hang on a listener that never answers.
	check, stopCheck := context.WithCancel(ctx)
	defer stopCheck()
	go func() {
		select {
		case <-p.done:
			stopCheck()
		case <-check.Done():
		}
	}()
	tick := time.NewTicker(healthPoll)
	defer tick.Stop()
	for {
		if healthy(check, p.endpoint()) {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w (%v)", errExited, p.err)
		case <-ctx.Done():
			if err := parent.Err(); err != nil {
				return err
			}
			return fmt.Errorf("engine not healthy after %s", d.config.HealthTimeout.Std())
		case <-tick.C:
		}
	}
}

// healthy reports whether GET <endpoint>/healthz answers 200.
func healthy(ctx context.Context, endpoint string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := healthClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// terminate stops p: SIGTERM to its process group, up to Config.StopGrace for it to
// exit, then SIGKILL. Closing kill cuts the grace short. It returns once the process
// has exited and been reaped, never earlier: two engines must never share a state dir.
// It reports whether SIGKILL was needed.
func (d *Driver) terminate(p *process, kill <-chan struct{}) (killed bool) {
	if p.exited() {
		return false
	}
	signalGroup(p.pid, syscall.SIGTERM)
	grace := time.NewTimer(d.config.StopGrace.Std())
	defer grace.Stop()
	select {
	case <-p.done:
		return false
	case <-grace.C:
	case <-kill:
	}
	signalGroup(p.pid, syscall.SIGKILL)
	<-p.done
	return true
}

// signalGroup sends sig to the process group pid leads (the engine and whatever it
// spawned). The group may be gone already; that is fine.
func signalGroup(pid int, sig syscall.Signal) {
	if err := syscall.Kill(-pid, sig); errors.Is(err, syscall.ESRCH) {
		_ = syscall.Kill(pid, sig)
	}
}

// procStart is the kernel's start time of p, for the pidfile.
func (p *process) procStart() uint64 {
	start, _ := procStat(p.pid)
	return start
}

// freePort asks the kernel for a free loopback port. The port is free when this
// returns, not necessarily when the engine binds it: spawn retries that race.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// portTaken reports whether another process listens on addr now.
func portTaken(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return true
	}
	l.Close()
	return false
}

// rotateLog moves a large engine.log aside (one generation kept).
func rotateLog(path string) {
	if fi, err := os.Stat(path); err == nil && fi.Size() > logRotateSize {
		_ = os.Rename(path, path+".1")
	}
}

// logTail returns the last lines the engine wrote to path after offset: the engine's
// own messages, which never include the admin token since it is only in the env.
func logTail(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	if start := fi.Size() - logTailBytes; start > offset {
		offset = start
	}
	if offset > fi.Size() {
		offset = 0 // rotated meanwhile
	}
	b, err := io.ReadAll(io.NewSectionReader(f, offset, fi.Size()-offset))
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return string(bytes.TrimSpace(bytes.Join(lines, []byte("\n"))))
}
