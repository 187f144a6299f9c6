package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a child process of the tool: galaxyd or an engine.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// startProcess runs bin with args and env added to ours, its output to log.
func startProcess(bin string, args, env []string, log string) (*process, error) {
	f, err := os.OpenFile(log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{}), log: log}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitHTTP polls url until it answers 200, the process exits, or 60 s pass.
func (p *process) waitHTTP(ctx context.Context, url string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (%v); see %s", filepath.Base(p.cmd.Path), p.cmd.ProcessState, p.log)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond): // polling a child's readiness, not synchronising a test
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after 60s; see %s", url, p.log)
		}
	}
}

// stop sends SIGTERM and waits for the exit (SIGKILL after 30 s).
func (p *process) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// memory is a process's resident memory, from /proc/<pid>/status, in bytes: RSS is
// anonymous memory (heap, stacks) plus mapped files (the bbolt file's pages read).
type memory struct{ RSS, Anon, File int64 }

func (p *process) memory() (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	var m memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			m.RSS = n << 10
		case "RssAnon":
			m.Anon = n << 10
		case "RssFile":
			m.File = n << 10
		}
	}
	return m, sc.Err()
}

// freePort returns a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// galaxyd is a galaxyd -dev child on a data directory.
type galaxyd struct {
	*process
	url string
}

func startGalaxyd(ctx context.Context, c config, dir string, extra ...string) (*galaxyd, error) {
	if _, err := os.Stat(c.Galaxyd); err != nil {
		return nil, fmt.Errorf("galaxyd binary: %w (run make build, or pass -galaxyd)", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"-dev", "-listen", "127.0.0.1:" + strconv.Itoa(port), "-data-dir", filepath.Join(dir, "data"),
		"-engine-command", c.Engine, "-log-level", "warn"}, extra...)
	p, err := startProcess(c.Galaxyd, args, nil, filepath.Join(dir, "galaxyd.log"))
	if err != nil {
		return nil, err
	}
	g := &galaxyd{process: p, url: "http://127.0.0.1:" + strconv.Itoa(port)}
	if err := p.waitHTTP(ctx, g.url+"/readyz"); err != nil {
		p.stop()
		return nil, err
	}
	return g, nil
}

// metric returns the value of an unlabelled metric from galaxyd's /metrics.
func (g *galaxyd) metric(ctx context.Context, name string) (float64, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", g.url+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no metric " + name)
}

// heap returns galaxyd's Go heap in use (live objects and garbage not yet collected)
// and what was live at the last collection (the GC's next goal is twice that at
// GOGC=100, galaxyd's setting).
func (g *galaxyd) heap(ctx context.Context) (inUse, live int64, err error) {
	h, err := g.metric(ctx, "go_memstats_heap_inuse_bytes")
	if err != nil {
		return 0, 0, err
	}
	next, err := g.metric(ctx, "go_memstats_next_gc_bytes")
	if err != nil {
		return 0, 0, err
	}
	return int64(h), int64(next / 2), nil
}
