package nomadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/nomad/api"
)

// alloc is one allocation and, while its task runs, its engine process.
type alloc struct {
	stub     api.AllocationListStub
	job      *api.Job // the job version it runs
	node     *node
	port     int
	prev     *alloc        // must have exited before this one starts (one writer per volume)
	exited   chan struct{} // closed when the task has ended for good or will never start
	exitOnce sync.Once
	stop     chan struct{} // closed when the allocation is told to stop
	stopOnce sync.Once
	proc     *exec.Cmd // the current run's process; nil between runs
	alive    bool      // proc has started and not been reaped yet
	stderr   *bytes.Buffer
	stopping bool
	lost     bool // its node went down: client status lost, whatever its task did
	migrated bool // stopped by a drain

	// service registration and check state
	provider   string
	registered bool
	regIndex   uint64
	check      string // "" (not set up), pending, failure, success
	output     string

	// timings, for measuring the driver apart from the engine
	procStart, firstHealthy time.Time
}

func (a *alloc) markExited() { a.exitOnce.Do(func() { close(a.exited) }) }

func (a *alloc) markStop() { a.stopOnce.Do(func() { close(a.stop) }) }

func (a *alloc) kill() {
	if a.proc != nil && a.proc.Process != nil {
		a.proc.Process.Kill()
	}
}

// newAlloc records a pending allocation on n. Callers hold s.mu.
func (s *Server) newAlloc(j *api.Job, n *node, evalID string) *alloc {
	idx := s.changed("allocs")
	now := time.Now().UnixNano()
	id := newID()
	a := &alloc{
		job: j, node: n, exited: make(chan struct{}), stop: make(chan struct{}), stderr: &bytes.Buffer{},
		stub: api.AllocationListStub{
			ID: id, EvalID: evalID, Name: *j.ID + ".engine[0]", Namespace: *j.Namespace,
			NodeID: n.ID, NodeName: n.Name, JobID: *j.ID, JobType: "service", JobVersion: *j.Version,
			TaskGroup: "engine", DesiredStatus: "run", ClientStatus: "pending", ClientDescription: "No tasks have started",
			CreateIndex: idx, ModifyIndex: idx, CreateTime: now, ModifyTime: now,
		},
	}
	if svcs := j.TaskGroups[0].Services; len(svcs) > 0 {
		a.provider = svcs[0].Provider
		if a.provider == "" {
			a.provider = "consul"
		}
	}
	s.allocs[id] = a
	s.claim(j, n)
	return a
}

func (s *Server) touch(a *alloc) {
	a.stub.ModifyIndex = s.changed("allocs")
	a.stub.ModifyTime = time.Now().UnixNano()
	if jb := s.jobs[a.stub.JobID]; jb != nil {
		s.refreshJobStatus(jb)
	}
}

// refreshJobStatus derives the job's status from its allocations.
func (s *Server) refreshJobStatus(jb *job) {
	live := false
	for _, a := range s.allocs {
		if a.stub.JobID == *jb.j.ID && !terminal(a.stub.ClientStatus) {
			live = true
		}
	}
	st := *jb.j.Status
	switch {
	case live:
		st = "running"
	case *jb.j.Stop:
		st = "dead"
	}
	if st != *jb.j.Status {
		*jb.j.Status = st
		jb.j.ModifyIndex = new(s.changed("jobs"))
	}
}

// event appends a task event. Callers hold s.mu.
func (s *Server) event(a *alloc, e *api.TaskEvent) {
	ts := a.taskState()
	e.Time = time.Now().UnixNano()
	if e.Details == nil {
		e.Details = map[string]string{}
	}
	ts.Events = append(ts.Events, e)
	// The client keeps the last 10 events of a task.
	if len(ts.Events) > 10 {
		ts.Events = ts.Events[len(ts.Events)-10:]
	}
}

func (a *alloc) taskState() *api.TaskState {
	ts := a.stub.TaskStates["engine"]
	if ts == nil {
		ts = &api.TaskState{State: "pending"}
		a.stub.TaskStates = map[string]*api.TaskState{"engine": ts}
	}
	return ts
}

func plainEvent(typ, msg string) *api.TaskEvent {
	return &api.TaskEvent{Type: typ, DisplayMessage: msg, Message: msg}
}

// runAlloc is the fake client: wait for the previous writer to exit, register the
// service (check critical, as at prerun), then run the task, restarting it in place
// after a failure as the job's restart policy says (the real delay is cut to
// Options.RestartDelay) and failing the allocation once the attempts are used up.
func (s *Server) runAlloc(a *alloc) {
	s.pause(s.opts.Latency.TaskStart)
	if a.prev != nil {
		<-a.prev.exited
	}
	s.mu.Lock()
	if a.stub.DesiredStatus != "run" || s.closed {
		s.finish(a)
		s.mu.Unlock()
		return
	}
	g := a.job.TaskGroups[0]
	t := g.Tasks[0]
	s.event(a, plainEvent("Received", "Task received by client"))
	if t.Driver == "raw_exec" && len(t.VolumeMounts) > 0 {
		s.failAlloc(a, &api.TaskEvent{Type: "Setup Failure", FailsTask: true, DisplayMessage: fmt.Sprintf("failed to setup alloc: pre-run hook \"volumes\" failed: task driver %q for %q does not support host volumes", t.Driver, t.Name)})
		s.mu.Unlock()
		return
	}
	env, err := s.taskEnv(a)
	if err != "" {
		s.failAlloc(a, &api.TaskEvent{Type: "Setup Failure", FailsTask: true, DisplayMessage: err, SetupError: err})
		s.mu.Unlock()
		return
	}
	s.registerService(a)
	s.event(a, &api.TaskEvent{Type: "Task Setup", DisplayMessage: "Building Task Directory", Message: "Building Task Directory", Details: map[string]string{"message": "Building Task Directory"}})
	s.touch(a)
	s.mu.Unlock()

	attempts, interval, mode := 2, 30*time.Minute, "fail"
	if rp := g.RestartPolicy; rp != nil {
		if rp.Attempts != nil {
			attempts = *rp.Attempts
		}
		if rp.Interval != nil {
			interval = *rp.Interval
		}
		if rp.Mode != nil {
			mode = *rp.Mode
		}
	}
	for run := 0; ; run++ {
		if !s.runTask(a, env) {
			return // stopped as asked; runTask finished the allocation
		}
		s.mu.Lock()
		if a.stopping || s.closed {
			s.finish(a)
			s.mu.Unlock()
			return
		}
		if run >= attempts && mode == "fail" {
			reason := fmt.Sprintf("Exceeded allowed attempts %d in interval %v and mode is \"fail\"", attempts, interval)
			s.failAlloc(a, &api.TaskEvent{Type: "Not Restarting", FailsTask: true, DisplayMessage: reason, RestartReason: reason})
			s.mu.Unlock()
			return
		}
		delay := 15 * time.Second
		if rp := g.RestartPolicy; rp != nil && rp.Delay != nil {
			delay = *rp.Delay
		}
		s.event(a, &api.TaskEvent{Type: "Restarting", DisplayMessage: fmt.Sprintf("Task restarting in %s", delay), RestartReason: "Restart within policy", StartDelay: int64(delay)})
		ts := a.taskState()
		ts.State, ts.Restarts, ts.LastRestart = "pending", ts.Restarts+1, time.Now()
		a.stub.ClientStatus, a.stub.ClientDescription = "pending", "No tasks have started"
		s.touch(a)
		s.mu.Unlock()
		t := time.NewTimer(s.opts.RestartDelay)
		select {
		case <-t.C:
		case <-a.stop:
			t.Stop()
		}
	}
}

// runTask runs the task once: the engine binary for its image or command (see
// SetEngine), or the failure events of one that cannot run. It returns false when the
// allocation was stopped as asked (and is then finished), true after a failure.
func (s *Server) runTask(a *alloc, env []string) (failed bool) {
	s.mu.Lock()
	if a.stopping || s.closed {
		s.finish(a)
		s.mu.Unlock()
		return false
	}
	t := a.job.TaskGroups[0].Tasks[0]
	ref, _ := t.Config["image"].(string)
	if t.Driver != "docker" {
		ref, _ = t.Config["command"].(string)
	}
	bin, known := s.engines[ref]
	if !known {
		bin = s.opts.EngineBinary
	}
	if bin == "" {
		if t.Driver == "docker" {
			s.event(a, &api.TaskEvent{Type: "Driver", DisplayMessage: "Downloading image", DriverMessage: "Downloading image"})
			repo, _, _ := strings.Cut(ref, ":")
			msg := fmt.Sprintf("Failed to pull `%s`: Error response from daemon: pull access denied for %s, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", ref, repo)
			s.event(a, &api.TaskEvent{Type: "Driver Failure", DisplayMessage: msg, DriverError: msg, Details: map[string]string{"driver_error": msg}})
		} else {
			msg := fmt.Sprintf("failed to launch command with executor: rpc error: code = Unknown desc = exec: %q: stat %s: no such file or directory", ref, ref)
			s.event(a, &api.TaskEvent{Type: "Driver Failure", DisplayMessage: msg, DriverError: msg, Details: map[string]string{"driver_error": msg}})
		}
		s.touch(a)
		s.mu.Unlock()
		return true
	}
	cmd := exec.Command(bin)
	cmd.Env = env
	a.stderr.Reset()
	cmd.Stdout = a.stderr
	cmd.Stderr = a.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	a.procStart = time.Now()
	if err := cmd.Start(); err != nil {
		msg := "failed to launch command with executor: " + err.Error()
		s.event(a, &api.TaskEvent{Type: "Driver Failure", DisplayMessage: msg, DriverError: msg})
		s.touch(a)
		s.mu.Unlock()
		return true
	}
	a.proc, a.alive = cmd, true
	a.stub.ClientStatus = "running"
	a.stub.ClientDescription = "Tasks are running"
	ts := a.taskState()
	ts.State, ts.StartedAt = "running", time.Now()
	s.event(a, plainEvent("Started", "Task started by client"))
	s.touch(a)
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.probe(ctx, a)
	}()
	werr := cmd.Wait()
	cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	a.alive = false
	code := 0
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	if a.stopping || s.closed {
		s.finish(a)
		return false
	}
	tail := strings.TrimSpace(a.stderr.String())
	if len(tail) > 400 {
		tail = tail[len(tail)-400:]
	}
	s.opts.Logf("nomadtest: engine of alloc %s exited (%v): %s", a.stub.ID[:8], werr, tail)
	msg := fmt.Sprintf("Exit Code: %d", code)
	if tail != "" {
		msg += ", Exit Message: " + strconv.Quote(tail)
	}
	s.event(a, &api.TaskEvent{Type: "Terminated", DisplayMessage: msg, ExitCode: code, Details: map[string]string{"exit_code": strconv.Itoa(code)}})
	if a.registered && a.check != "failure" {
		a.check, a.output = "failure", "nomad: connection refused"
		if a.provider == "consul" {
			s.consulChanged()
		}
	}
	s.touch(a)
	return true
}

// finish ends a stopped allocation: complete (unless it failed first), its service
// gone. Callers hold s.mu.
func (s *Server) finish(a *alloc) {
	if a.lost {
		a.stub.ClientStatus = "lost"
	} else if a.stub.ClientStatus != "failed" {
		if a.proc != nil {
			s.event(a, plainEvent("Killed", "Task successfully killed"))
		}
		a.stub.ClientStatus = "complete"
		a.stub.ClientDescription = "All tasks have completed"
		if ts := a.stub.TaskStates["engine"]; ts != nil {
			ts.State, ts.FinishedAt = "dead", time.Now()
		}
	}
	s.deregisterService(a)
	s.touch(a)
	a.markExited()
	s.checkDrains()
}

// failAlloc marks an allocation failed with its last task event. Callers hold s.mu.
func (s *Server) failAlloc(a *alloc, e *api.TaskEvent) {
	s.event(a, e)
	if a.lost {
		s.finish(a)
		return
	}
	a.stub.ClientStatus = "failed"
	a.stub.ClientDescription = "Failed tasks"
	ts := a.taskState()
	ts.State, ts.Failed, ts.FinishedAt = "dead", true, time.Now()
	s.deregisterService(a)
	s.touch(a)
	a.markExited()
	s.checkDrains()
}

// stopAlloc asks an allocation to stop: the server's side at once, the client's
// StopLatency later (SIGTERM, then SIGKILL after 5s). Callers hold s.mu.
func (s *Server) stopAlloc(a *alloc, why, next string) {
	if a.lost {
		return // its node is down: the servers already stopped it
	}
	a.stub.DesiredStatus = "stop"
	a.stub.DesiredDescription = why
	a.stub.NextAllocation = next
	a.stopping = true
	a.markStop()
	s.touch(a)
	if a.proc == nil {
		if a.stub.ClientStatus == "pending" {
			// runAlloc sees stopping and finishes it.
			return
		}
		s.deregisterService(a)
		a.markExited()
		return
	}
	p := a.proc.Process
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(s.opts.StopLatency)
		select {
		case <-t.C:
		case <-a.exited:
			t.Stop()
			return
		}
		s.mu.Lock()
		s.deregisterService(a)
		s.mu.Unlock()
		p.Signal(syscall.SIGTERM)
		select {
		case <-a.exited:
		case <-time.After(5 * time.Second):
			p.Kill()
		}
	}()
}

// taskEnv builds the engine's environment like a Nomad client: the task env with
// ${NOMAD_*} interpolated, NOMAD_* variables, the state volume mapped to its host
// directory, and the listen address forced to 127.0.0.1 (tests never listen wider).
// Callers hold s.mu.
func (s *Server) taskEnv(a *alloc) ([]string, string) {
	port, err := freePort()
	if err != nil {
		return nil, "no free port: " + err.Error()
	}
	a.port = port
	g, t := a.job.TaskGroups[0], a.job.TaskGroups[0].Tasks[0]
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	vars := map[string]string{
		"NOMAD_PORT_http": strconv.Itoa(port), "NOMAD_ADDR_http": addr, "NOMAD_IP_http": "127.0.0.1",
		"NOMAD_HOST_PORT_http": strconv.Itoa(port), "NOMAD_ALLOC_ID": a.stub.ID, "NOMAD_JOB_ID": a.stub.JobID,
		"NOMAD_JOB_NAME": a.stub.JobID, "NOMAD_GROUP_NAME": "engine", "NOMAD_TASK_NAME": "engine",
		"NOMAD_NAMESPACE": a.stub.Namespace, "NOMAD_DC": a.node.Datacenter, "NOMAD_ALLOC_INDEX": "0",
	}
	for k, v := range a.job.Meta {
		vars["NOMAD_META_"+k] = v
	}
	mounts := map[string]string{} // destination -> host dir
	for _, m := range t.VolumeMounts {
		v := g.Volumes[*m.Volume]
		dir := s.volumeDir(a.node, *a.job.Namespace, v.Source)
		if dir == "" {
			return nil, fmt.Sprintf("failed to setup alloc: volume %q not found on node", v.Source)
		}
		mounts[*m.Destination] = dir
	}
	interp := func(v string) string {
		for k, x := range vars {
			v = strings.ReplaceAll(v, "${"+k+"}", x)
		}
		return v
	}
	env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": os.TempDir()}
	for k, v := range vars {
		env[k] = v
	}
	for k, v := range t.Env {
		env[k] = interp(v)
	}
	if p := env["GAME_STATE_PATH"]; p != "" {
		for dest, dir := range mounts {
			if p == dest || strings.HasPrefix(p, dest+"/") {
				env["GAME_STATE_PATH"] = dir + strings.TrimPrefix(p, dest)
			}
		}
	}
	env["GALAXY_ENGINE_ADDR"] = addr
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out, ""
}

// volumeDir is the host directory of a dynamic or static volume on n.
func (s *Server) volumeDir(n *node, ns, name string) string {
	if p, ok := n.static[name]; ok {
		return p
	}
	for _, v := range s.volumes {
		if v.v.Name == name && v.v.Namespace == ns && v.v.NodeID == n.ID {
			return v.v.HostPath
		}
	}
	return ""
}

// probe is the health check: GET /healthz every 5ms until the first success, then
// every CheckInterval, updating Consul's check or the Nomad-native check result.
func (s *Server) probe(ctx context.Context, a *alloc) {
	client := &http.Client{Timeout: time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", a.port)
	every := 5 * time.Millisecond
	for {
		status, output := "failure", ""
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			output = "nomad: " + err.Error()
		} else {
			_, _ = io.Copy(io.Discard, resp.Body) // read to the end, so the connection is reused
			resp.Body.Close()
			output = fmt.Sprintf("HTTP GET %s: %s", url, resp.Status)
			if resp.StatusCode == http.StatusOK {
				status, output = "success", "nomad: http ok"
			}
		}
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		if status == "success" && a.firstHealthy.IsZero() {
			a.firstHealthy = time.Now()
			every = s.opts.CheckInterval
		}
		if a.check != status && a.registered {
			a.check, a.output = status, output
			if a.provider == "consul" {
				s.consulChanged()
			}
		}
		s.mu.Unlock()
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Reschedule fails the job's running allocation (its engine is killed) and places a
// replacement on the same node, with a new port and the same volume, as Nomad does
// after a crash. It returns the new allocation's ID.
func (s *Server) Reschedule(jobID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur *alloc
	for _, a := range s.allocs {
		if a.stub.JobID == jobID && a.stub.ClientStatus == "running" && a.stub.DesiredStatus == "run" {
			cur = a
		}
	}
	jb := s.jobs[jobID]
	if cur == nil || jb == nil {
		return "", fmt.Errorf("nomadtest: job %s has no running allocation", jobID)
	}
	cur.stopping = true // its exit is the failure recorded here, not a crash to report
	cur.markStop()
	s.event(cur, &api.TaskEvent{Type: "Terminated", FailsTask: true, ExitCode: 137, DisplayMessage: "Exit Code: 137, Exit Message: \"killed by nomadtest.Reschedule\""})
	cur.stub.ClientStatus = "failed"
	cur.stub.ClientDescription = "Failed tasks"
	s.deregisterService(cur)
	cur.kill()
	next := s.newAlloc(jb.j, cur.node, cur.stub.EvalID)
	next.prev = cur
	cur.stub.NextAllocation = next.stub.ID
	s.touch(cur)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runAlloc(next)
	}()
	return next.stub.ID, nil
}

// Kill kills the allocation's engine with SIGKILL, as a crash: the fake client
// restarts it in place (same allocation, same port) as the restart policy says.
func (s *Server) Kill(allocID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.allocs[allocID]
	if a == nil || !a.alive {
		return fmt.Errorf("nomadtest: allocation %s runs no engine", allocID)
	}
	a.kill()
	return nil
}

// EngineStartup reports, for an allocation, how long its engine took from process
// start to the first passing /healthz: the part of a start that is the engine's own.
func (s *Server) EngineStartup(allocID string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.allocs[allocID]
	if a == nil || a.firstHealthy.IsZero() {
		return 0, false
	}
	return a.firstHealthy.Sub(a.procStart), true
}
