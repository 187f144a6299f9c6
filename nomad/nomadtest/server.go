// Package nomadtest is a fake Nomad + Consul HTTP API for tests, built on httptest.
// It speaks the JSON of exactly the endpoints the nomad driver uses and behaves like
// Nomad 2.0.5 and Consul 1.22.7 as captured in shared/nomad-fixtures: EnforceIndex
// conflicts are 500 text, unplaceable jobs register fine and fail in the evaluation,
// blocking queries honour index and wait, errors are plain text. Its allocations run
// a real engine binary as a process on 127.0.0.1, with a per-volume temp directory as
// GAME_STATE_PATH, and its health checks probe the engine's /healthz.
package nomadtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configure a fake cluster.
type Options struct {
	// EngineBinary is run for every allocation, whatever the task's driver, image or
	// command (required to place anything).
	EngineBinary string
	// Nodes of the cluster; default one node "fake-1" in datacenter dc1, pool
	// default, class "", with a static host volume "galaxy-state". Each node has its
	// own directories: a static volume of one name is a different directory on each
	// node, and a dynamic volume lives on one node only. Jobs are placed on the
	// first node (in this order) that takes them.
	Nodes []Node
	// CheckInterval is how often health checks probe /healthz once passing (default
	// 50ms; a real check runs every 2s). Before the first success they probe every
	// 5ms, so the fake adds little to a start.
	CheckInterval time.Duration
	// MaxWait caps a blocking query's wait (default 10s).
	MaxWait time.Duration
	// RestartDelay replaces the restart policy's delay between two runs of a failed
	// task (default 20ms; Nomad waits the policy's delay, 15s by default).
	RestartDelay time.Duration
	// FingerprintDelay is how long the fake client takes to fingerprint a dynamic
	// volume it created or deleted (default 50ms; about 1s on a real client). A
	// volume re-created under the name of one deleted within that time is "ready"
	// at once, since Nomad judges readiness by name, while the node still carries
	// the old volume's ID and nothing can be placed on it.
	FingerprintDelay time.Duration
	// StopLatency is how long the fake client takes to act on an allocation the
	// servers stopped (default 25ms; a real client took 15ms in the log of the
	// purge-then-delete bug): the allocation runs on, and its engine with it, meanwhile.
	StopLatency time.Duration
	// Latency models a real cluster's timing; zero (the default) adds none.
	Latency Latency
	// Logf receives the fake's own log lines (default tb.Logf).
	Logf func(format string, args ...any)
}

// Latency is time the fake waits to look like a real cluster. Measured on a Nomad 2.0.5
// dev agent (one server and client, raw_exec, this machine): a job register answered
// in about 2 ms, its evaluation completed about 6 ms later, and the allocation showed
// running about 1.04 s after that (the client reports allocation updates in batches);
// see RealLatency.
type Latency struct {
	API       time.Duration // before every Nomad and Consul answer
	Schedule  time.Duration // from an evaluation's creation to the scheduler's work on it
	TaskStart time.Duration // from a placement to the client running the task
}

// RealLatency is the dev agent's timing (Latency). A production cluster adds network
// round trips and Raft writes across servers to API, and a docker client an image
// pull to TaskStart.
var RealLatency = Latency{API: 2 * time.Millisecond, Schedule: 6 * time.Millisecond, TaskStart: 1040 * time.Millisecond}

// pause waits d, or less if the server closes: the modelled latency of Options.Latency.
func (s *Server) pause(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
	}
}

// Node is one fake client node.
type Node struct {
	ID, Name, Datacenter, NodePool, NodeClass string
	Address                                   string            // default 127.0.0.1
	Attributes                                map[string]string // ${attr.*}
	Meta                                      map[string]string // ${meta.*}
	// StaticVolumes are host volumes from the client config: name -> host path
	// (empty: a temp directory).
	StaticVolumes map[string]string
}

// Server is a running fake. Close it (NewServer registers tb.Cleanup too).
type Server struct {
	tb     testing.TB
	opts   Options
	nomad  *httptest.Server
	consul *httptest.Server
	dir    string

	mu       sync.Mutex
	index    uint64            // Nomad raft index
	tables   map[string]uint64 // per-table index, as Nomad answers lists
	cindex   uint64            // Consul raft index
	notify   chan struct{}     // closed and replaced on every change
	nodes    []*node
	jobs     map[string]*job
	evals    map[string]*evaluation
	allocs   map[string]*alloc
	volumes  map[string]*hostVolume
	counts   map[string]int
	waits    int               // times a blocking query went to wait for a change (BlockingWaits)
	claims   map[string]string // sticky volume claims: namespace/job ID -> volume ID
	failN    int
	failCode int
	closed   bool
	done     chan struct{} // closed by Close
	wg       sync.WaitGroup

	engines    map[string]string // engine ref -> binary ("" cannot run); see SetEngine
	consulDown bool
	violations []string
}

// NewServer starts a fake Nomad and a fake Consul on loopback.
func NewServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.CheckInterval <= 0 {
		opts.CheckInterval = 50 * time.Millisecond
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 10 * time.Second
	}
	if opts.RestartDelay <= 0 {
		opts.RestartDelay = 20 * time.Millisecond
	}
	if opts.StopLatency <= 0 {
		opts.StopLatency = 25 * time.Millisecond
	}
	if opts.FingerprintDelay <= 0 {
		opts.FingerprintDelay = 50 * time.Millisecond
	}
	if opts.Logf == nil {
		opts.Logf = tb.Logf
	}
	if len(opts.Nodes) == 0 {
		opts.Nodes = []Node{{Name: "fake-1", StaticVolumes: map[string]string{"galaxy-state": ""}}}
	}
	s := &Server{
		tb: tb, opts: opts, dir: tb.TempDir(),
		index: 10, cindex: 10, tables: map[string]uint64{},
		notify: make(chan struct{}),
		jobs:   map[string]*job{}, evals: map[string]*evaluation{}, allocs: map[string]*alloc{},
		volumes: map[string]*hostVolume{}, counts: map[string]int{}, engines: map[string]string{},
		claims: map[string]string{}, done: make(chan struct{}),
	}
	for i, n := range opts.Nodes {
		nd := &node{Node: n}
		if nd.ID == "" {
			nd.ID = newID()
		}
		if nd.Name == "" {
			nd.Name = fmt.Sprintf("fake-%d", i+1)
		}
		if nd.Datacenter == "" {
			nd.Datacenter = "dc1"
		}
		if nd.NodePool == "" {
			nd.NodePool = "default"
		}
		if nd.Address == "" {
			nd.Address = "127.0.0.1"
		}
		nd.static, nd.fp, nd.consulID = map[string]string{}, map[string]string{}, newID()
		nd.status, nd.eligibility, nd.statusAt = "ready", "eligible", time.Now()
		nd.createIndex = s.changed("nodes")
		nd.modifyIndex = nd.createIndex
		for name, p := range n.StaticVolumes {
			if p == "" {
				p = s.mkdir("static-"+nd.Name+"-"+name, 0o755)
			}
			nd.static[name] = p
		}
		s.nodes = append(s.nodes, nd)
	}
	s.nomad = httptest.NewServer(http.HandlerFunc(s.serveNomad))
	s.consul = httptest.NewServer(http.HandlerFunc(s.serveConsul))
	tb.Cleanup(s.Close)
	return s
}

// NomadAddr is the fake Nomad's address, for NOMAD_ADDR or nomad.Config.Address.
func (s *Server) NomadAddr() string { return s.nomad.URL }

// ConsulAddr is the fake Consul's host:port, for CONSUL_HTTP_ADDR.
func (s *Server) ConsulAddr() string { return strings.TrimPrefix(s.consul.URL, "http://") }

// Close kills every engine process and stops both servers. Idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	for _, a := range s.allocs {
		a.kill()
	}
	s.changed("")
	s.mu.Unlock()
	s.nomad.CloseClientConnections()
	s.consul.CloseClientConnections()
	s.nomad.Close()
	s.consul.Close()
	s.wg.Wait()
}

// Fail makes the next n Nomad API calls answer status (429 or 500) with a plain-text
// body, as an overloaded or leaderless cluster does.
func (s *Server) Fail(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, status
}

// SetEngine says what runs for an engine ref, the task's docker image or its
// exec/raw_exec command: binary instead of Options.EngineBinary, or, with binary "",
// nothing: the image cannot be pulled ("Failed to pull ...") or the command does not
// exist, with the task events a real client emits and the restart policy applied.
// A binary that exits at once models a version that crashes on start.
func (s *Server) SetEngine(ref, binary string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.engines[ref] = binary
}

// Violations lists what the fake saw a driver do that loses a game's state on a
// real cluster (a volume deleted while an engine still ran on it); each is also
// reported with tb.Errorf when it happens.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// violation records and reports one. Callers hold s.mu.
func (s *Server) violation(format string, args ...any) {
	v := fmt.Sprintf(format, args...)
	s.violations = append(s.violations, v)
	s.tb.Errorf("nomadtest: %s", v)
}

// Counts returns the number of Nomad and Consul API requests per endpoint, keyed like
// "GET /v1/job/:id/allocations".
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// BlockingWaits is how many times a blocking query (Nomad's or Consul's) has gone to
// wait for a change: once when its index is not passed yet, and again after every
// change that leaves it unpassed. A test sees by it that a query is waiting, without
// guessing how long that takes.
func (s *Server) BlockingWaits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waits
}

// ResetCounts zeroes the request counts.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}

// FormatCounts renders counts one endpoint a line, sorted, for test logs.
func FormatCounts(c map[string]int) string {
	keys := make([]string, 0, len(c))
	total := 0
	for k, v := range c {
		keys = append(keys, k)
		total += v
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%4d %s\n", c[k], k)
	}
	fmt.Fprintf(&b, "%4d total\n", total)
	return b.String()
}

// changed bumps the index of table (or none) and wakes every blocking query.
// Callers hold s.mu.
func (s *Server) changed(table string) uint64 {
	if table != "" {
		s.index++
		s.tables[table] = s.index
	}
	close(s.notify)
	s.notify = make(chan struct{})
	return s.index
}

// consulChanged bumps Consul's index. Callers hold s.mu.
func (s *Server) consulChanged() {
	s.cindex++
	close(s.notify)
	s.notify = make(chan struct{})
}

func (s *Server) tableIndex(names ...string) uint64 {
	var max uint64 = 1
	for _, n := range names {
		if s.tables[n] > max {
			max = s.tables[n]
		}
	}
	return max
}

func (s *Server) mkdir(name string, mode os.FileMode) string {
	p := s.dir + "/" + name
	if err := os.MkdirAll(p, mode); err != nil {
		s.tb.Errorf("nomadtest: %v", err)
	}
	return p
}
