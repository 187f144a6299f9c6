package orchestrator_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/internal/clocktest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
)

// fakeEngine is an in-memory engine that honours the contract of DESIGN §4: init
// once (409 after), turn N generates when at N-1, answers 200 when already at N.
type fakeEngine struct {
	mu     sync.Mutex
	gameID uuid.UUID
	turn   int
	inited bool
	inits  int
	turns  []int // every turn call, in order
	final  map[uuid.UUID]bool
	races  int
	// TurnErr, when set, runs before a turn call (without the engine's lock held) and
	// fails the call with its error.
	TurnErr func(ctx context.Context, n int) error
	// hung makes every call but Healthz wait for its context, like a SIGSTOPped engine.
	hung bool
	// submitted logs every accepted submission as "turn/actor/orders".
	submitted []string
	actors    []uuid.UUID // the races' player ids, from init (kept by restores)
	// old makes it an engine of the first contract, without snapshot and restore.
	old bool
}

// notSupported is what engine.Client answers for a route an engine does not have.
func notSupported() error {
	return fmt.Errorf("%w: %w", engine.ErrNotSupported, &engine.Error{StatusCode: 405, Message: "method not allowed"})
}

func (e *fakeEngine) setOld(old bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.old = old
}

// lose forgets the engine's whole state, as a lost volume or a new node does.
func (e *fakeEngine) lose() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.inited, e.turn, e.gameID, e.final, e.submitted = false, 0, uuid.Nil, nil, nil
}

func (e *fakeEngine) submissions() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.submitted...)
}

func (e *fakeEngine) setHung(hung bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hung = hung
}

// wait blocks a call of a hung engine until ctx ends.
func (e *fakeEngine) wait(ctx context.Context) error {
	e.mu.Lock()
	hung := e.hung
	e.mu.Unlock()
	if !hung {
		return nil
	}
	<-ctx.Done()
	return fmt.Errorf("%w: %v", engine.ErrUnreachable, ctx.Err())
}

func (e *fakeEngine) setTurnErr(f func(ctx context.Context, n int) error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.TurnErr = f
}

func (e *fakeEngine) Healthz(context.Context) error { return nil }
func (e *fakeEngine) Init(_ context.Context, req engine.InitRequest) (*engine.State, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.inits++
	if e.inited {
		return nil, &engine.Error{StatusCode: 409, Code: "conflict", Message: "state exists"}
	}
	e.inited, e.gameID, e.races = true, req.GameID, len(req.Races)
	e.actors = nil
	for _, r := range req.Races {
		e.actors = append(e.actors, r.PlayerID)
	}
	return &engine.State{GameID: e.gameID}, nil
}
func (e *fakeEngine) State(context.Context) (*engine.State, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.inited {
		return nil, &engine.Error{StatusCode: 404, Code: "not_found", Message: "no game"}
	}
	return &engine.State{GameID: e.gameID, Turn: e.turn}, nil
}
func (e *fakeEngine) Turn(ctx context.Context, n int) (*engine.State, error) {
	if err := e.wait(ctx); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.turns = append(e.turns, n)
	hook := e.TurnErr
	e.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, n); err != nil {
			return nil, err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.turn == n:
	case e.turn == n-1:
		e.turn = n
	default:
		return nil, &engine.Error{StatusCode: 409, Code: "conflict", Message: fmt.Sprintf("current turn is %d", e.turn)}
	}
	return &engine.State{GameID: e.gameID, Turn: e.turn}, nil
}
func (e *fakeEngine) SubmitOrders(_ context.Context, req engine.OrdersRequest) (*engine.OrdersResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if req.Turn != e.turn {
		return nil, &engine.Error{StatusCode: 409, Code: "conflict", Message: fmt.Sprintf("open turn is %d", e.turn)}
	}
	if e.final == nil {
		e.final = map[uuid.UUID]bool{}
	}
	e.final[req.Actor] = req.Final
	orders, _ := json.Marshal(req.Orders)
	e.submitted = append(e.submitted, fmt.Sprintf("%d/%s/%s", req.Turn, req.Actor, orders))
	n := 0
	for _, f := range e.final {
		if f {
			n++
		}
	}
	return &engine.OrdersResult{Turn: e.turn, Final: req.Final, AllFinal: n == e.races}, nil
}
func (e *fakeEngine) Command(context.Context, engine.CommandRequest) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}
func (e *fakeEngine) Report(ctx context.Context, _ uuid.UUID, turn int) (json.RawMessage, error) {
	if err := e.wait(ctx); err != nil {
		return nil, err
	}
	return json.RawMessage(fmt.Sprintf(`{"turn":%d}`, turn)), nil
}

func (e *fakeEngine) ReportText(ctx context.Context, actor uuid.UUID, turn int) ([]byte, error) {
	if err := e.wait(ctx); err != nil {
		return nil, err
	}
	return []byte(fmt.Sprintf("Turn %d Report\n", turn)), nil
}
func (e *fakeEngine) Snapshot(ctx context.Context, withReports bool) ([]byte, string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.old {
		return nil, "", notSupported()
	}
	if !e.inited {
		return nil, "", &engine.Error{StatusCode: 404, Code: engine.CodeNotInitialised, Message: "no game"}
	}
	reports := ""
	if withReports {
		var parts []string
		for _, a := range e.actors {
			parts = append(parts, fmt.Sprintf(`%q:{"turn":%d,"archived":true}`, a, e.turn))
		}
		reports = `,"reports":{` + strings.Join(parts, ",") + `}`
	}
	actors, _ := json.Marshal(e.actors)
	// Like a real engine's, the state holds the open turn's orders: a snapshot taken
	// after orders came in differs from the one taken right after the turn.
	doc := fmt.Sprintf(`{"schemaVersion":1,"gameId":%q,"turn":%d,"finished":false,"state":{"gameId":%q,"turn":%d,"actors":%s,"orders":%d}%s}`, e.gameID, e.turn, e.gameID, e.turn, actors, len(e.final), reports)
	sum := sha256.Sum256([]byte(doc))
	return []byte(doc), hex.EncodeToString(sum[:]), nil
}
func (e *fakeEngine) Restore(_ context.Context, doc []byte, replace bool) (*engine.State, error) {
	e.mu.Lock()
	old := e.old
	e.mu.Unlock()
	if old {
		return nil, notSupported()
	}
	snap, err := engine.ParseSnapshot(doc)
	if err != nil {
		return nil, &engine.Error{StatusCode: 400, Code: "bad_snapshot", Message: err.Error()}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.inited && (!replace || e.gameID != snap.GameID) {
		return nil, &engine.Error{StatusCode: 409, Code: "conflict", Message: "state exists"}
	}
	e.inited, e.gameID, e.turn, e.final = true, snap.GameID, snap.Turn, nil
	var state struct{ Actors []uuid.UUID }
	_ = json.Unmarshal(snap.State, &state)
	e.actors = state.Actors
	return &engine.State{GameID: e.gameID, Turn: e.turn}, nil
}

func (e *fakeEngine) calls() (inits int, turns []int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.inits, append([]int(nil), e.turns...)
}

// fakeDriver "runs" one fakeEngine per game; engines keep their state across stops,
// like a volume would.
type fakeDriver struct {
	mu      sync.Mutex
	engines map[uuid.UUID]*fakeEngine
	running map[uuid.UUID]bool
	version map[uuid.UUID]string
	starts  int // calls of Start
	// StartFn and StopFn, when set, run first and fail the call with their error; a
	// failed Start leaves what ran before running, as the Driver contract promises.
	StartFn func(spec orchestrator.EngineSpec) error
	StopFn  func(id uuid.UUID) error
	// nodes, when set, are the nodes engines are placed on: the first the spec allows.
	nodes  []string
	nodeOf map[uuid.UUID]string
}

// place picks the node of a start: spec.Node, else the first node not avoided.
func (d *fakeDriver) place(spec orchestrator.EngineSpec) string {
	if spec.Node != "" {
		return spec.Node
	}
	for _, n := range d.nodes {
		if !slices.Contains(spec.AvoidNodes, n) {
			return n
		}
	}
	return ""
}

func (d *fakeDriver) setStartFn(f func(spec orchestrator.EngineSpec) error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.StartFn = f
}

// holdNextStart makes the driver's next Start of game id (of any game with uuid.Nil)
// wait until release is called; started is closed when that Start begins. The hold is
// released at the latest when the test ends, before the harness closes (it waits for
// the start).
func (h *harness) holdNextStart(id uuid.UUID) (started <-chan struct{}, release func()) {
	begun, hold := make(chan struct{}), make(chan struct{})
	release = sync.OnceFunc(func() { close(hold) })
	h.tb.Cleanup(release)
	h.driver.setStartFn(func(spec orchestrator.EngineSpec) error {
		if id != uuid.Nil && spec.GameID != id {
			return nil
		}
		h.driver.setStartFn(nil)
		close(begun)
		<-hold
		return nil
	})
	return begun, release
}

func (d *fakeDriver) setStopFn(f func(id uuid.UUID) error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.StopFn = f
}

func (d *fakeDriver) setRunning(id uuid.UUID, running bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.running[id] = running
}

// startCalls returns how many times Start was called.
func (d *fakeDriver) startCalls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.starts
}

// runningVersion returns the version the game's engine runs ("" when none).
func (d *fakeDriver) runningVersion(id uuid.UUID) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running[id] {
		return ""
	}
	return d.version[id]
}

func newFakeDriver() *fakeDriver {
	return &fakeDriver{engines: map[uuid.UUID]*fakeEngine{}, running: map[uuid.UUID]bool{}, version: map[uuid.UUID]string{}}
}

func (d *fakeDriver) engine(id uuid.UUID) *fakeEngine {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.engines[id]
	if !ok {
		e = &fakeEngine{}
		d.engines[id] = e
	}
	return e
}

func (d *fakeDriver) Start(_ context.Context, spec orchestrator.EngineSpec) (*orchestrator.Instance, error) {
	d.mu.Lock()
	d.starts++
	fn := d.StartFn
	d.mu.Unlock()
	if fn != nil {
		if err := fn(spec); err != nil {
			return nil, err
		}
	}
	d.engine(spec.GameID)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.running[spec.GameID] = true
	d.version[spec.GameID] = spec.Version.Version
	if d.nodeOf == nil {
		d.nodeOf = map[uuid.UUID]string{}
	}
	if _, placed := d.nodeOf[spec.GameID]; !placed || spec.Node != "" || len(spec.AvoidNodes) > 0 {
		d.nodeOf[spec.GameID] = d.place(spec)
	}
	node := d.nodeOf[spec.GameID]
	return &orchestrator.Instance{GameID: spec.GameID, Endpoint: "fake://" + spec.GameID.String(), Running: true, Version: spec.Version.Version, NodeID: node}, nil
}
func (d *fakeDriver) Stop(_ context.Context, id uuid.UUID) error {
	d.mu.Lock()
	fn := d.StopFn
	d.mu.Unlock()
	if fn != nil { // outside the lock: a test's StopFn may hold the stop
		if err := fn(id); err != nil {
			return err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.running[id] = false
	return nil
}
func (d *fakeDriver) Remove(_ context.Context, id uuid.UUID) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.running, id)
	delete(d.engines, id)
	delete(d.nodeOf, id)
	return nil
}
func (d *fakeDriver) CheckVersion(orchestrator.EngineVersion) error { return nil }
func (d *fakeDriver) Instances(context.Context) ([]*orchestrator.Instance, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []*orchestrator.Instance
	for id, r := range d.running {
		out = append(out, &orchestrator.Instance{GameID: id, Running: r})
	}
	return out, nil
}
func (d *fakeDriver) Endpoint(_ context.Context, id uuid.UUID) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running[id] {
		return "", orchestrator.Errorf(orchestrator.EUNAVAILABLE, "not running")
	}
	return "fake://" + id.String(), nil
}

// faultyStore is a real store whose writes can be made to fail as a full disk does.
type faultyStore struct {
	*store.Store
	full atomic.Bool
}

func (f *faultyStore) Update(ctx context.Context, fn func(orchestrator.Tx) error) error {
	if f.full.Load() {
		return fmt.Errorf("%w: write galaxy.db: no space left on device", &orchestrator.Error{Code: orchestrator.ESTORAGE, Message: "the store cannot write right now (no space left on device); retry later"})
	}
	return f.Store.Update(ctx, fn)
}

type harness struct {
	tb     testing.TB
	path   string
	store  *store.Store
	disk   *faultyStore
	clock  *clocktest.FakeClock
	driver *fakeDriver
	svc    *orchestrator.Service
	// tune, when set, adjusts the service before each Open.
	tune func(c *orchestrator.Config)
}

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// MustOpenHarness opens a service on a real bbolt file with a fake driver, fake
// engines and a fake clock stopped at t0.
func MustOpenHarness(tb testing.TB) *harness {
	tb.Helper()
	return MustOpenHarnessAt(tb, t0)
}

// MustOpenHarnessAt is MustOpenHarness with the clock stopped at start.
func MustOpenHarnessAt(tb testing.TB, start time.Time) *harness {
	tb.Helper()
	return MustOpenHarnessWith(tb, start, nil)
}

// MustOpenHarnessWith is MustOpenHarnessAt with tune applied to the service before it
// opens (timeouts, attempts).
func MustOpenHarnessWith(tb testing.TB, start time.Time, tune func(c *orchestrator.Config)) *harness {
	tb.Helper()
	h := &harness{tb: tb, path: filepath.Join(tb.TempDir(), "galaxy.db"), clock: clocktest.NewFakeClock(start), driver: newFakeDriver(), tune: tune}
	h.open()
	tb.Cleanup(h.close)
	return h
}

func (h *harness) open() {
	h.tb.Helper()
	st, err := store.Open(h.path)
	if err != nil {
		h.tb.Fatal(err)
	}
	h.store = st
	h.disk = &faultyStore{Store: st}
	cfg := orchestrator.Config{
		Store: h.disk, Driver: h.driver, Discovery: h.driver, Clock: h.clock,
		Engines: func(ep, _ string) orchestrator.EngineClient {
			id := uuid.MustParse(ep[len("fake://"):])
			return h.driver.engine(id)
		},
		TurnAttempts: 2, TurnBackoff: time.Millisecond, Workers: 2, QueueSize: 16,
	}
	if h.tune != nil {
		h.tune(&cfg)
	}
	h.svc = orchestrator.NewService(cfg)
	if err := h.svc.Open(); err != nil {
		h.tb.Fatal(err)
	}
}

func (h *harness) close() {
	if h.svc != nil {
		h.svc.Close()
		h.store.Close()
		h.svc = nil
	}
}

// reopen simulates a restart of galaxyd on the same file.
func (h *harness) reopen() {
	h.tb.Helper()
	h.close()
	h.open()
}

func (h *harness) MustCreate(cron string) *orchestrator.GameView {
	h.tb.Helper()
	ctx := context.Background()
	if _, err := h.svc.EngineVersion(ctx, "1.0.0"); err != nil {
		if _, err := h.svc.CreateEngineVersion(ctx, &orchestrator.EngineVersion{Version: "1.0.0", Command: "/bin/engine", Enabled: true}); err != nil {
			h.tb.Fatal(err)
		}
	}
	v, _, err := h.svc.CreateGame(ctx, orchestrator.GameInput{
		EngineVersion: "1.0.0",
		Schedule:      orchestrator.Schedule{Cron: cron, Timezone: "UTC"},
		Players:       []orchestrator.PlayerInput{{UserID: uuid.New(), RaceName: "Alpha"}, {UserID: uuid.New(), RaceName: "Beta"}},
	}, "")
	if err != nil {
		h.tb.Fatal(err)
	}
	return v
}

func (h *harness) MustWait(op *orchestrator.Operation, err error) *orchestrator.Operation {
	h.tb.Helper()
	if err != nil {
		h.tb.Fatal(err)
	}
	var cur *orchestrator.Operation
	clocktest.WaitFor(h.tb, "operation "+string(op.Op), func() bool {
		cur, err = h.svc.Operation(context.Background(), op.ID)
		return err == nil && cur.Done()
	})
	return cur
}

// retried lets the turn's one backoff (TurnAttempts 2) pass: it waits for the
// backoff timer beside the scheduler's and moves the clock past it.
func (h *harness) retried(op *orchestrator.Operation, err error) (*orchestrator.Operation, error) {
	h.tb.Helper()
	if err == nil {
		clocktest.WaitFor(h.tb, "backoff timer", func() bool { return h.clock.Armed() >= 2 })
		h.clock.Advance(h.svc.TurnBackoff)
	}
	return op, err
}

// mustOp reads an operation straight from the store (the service may be closed).
func (h *harness) mustOp(id uuid.UUID) *orchestrator.Operation {
	h.tb.Helper()
	st, err := store.Open(h.path)
	if err != nil {
		h.tb.Fatal(err)
	}
	defer st.Close()
	var op *orchestrator.Operation
	if err := st.View(context.Background(), func(tx orchestrator.Tx) (err error) {
		op, err = tx.Operation(id)
		return err
	}); err != nil {
		h.tb.Fatal(err)
	}
	return op
}

func (h *harness) runtime(id uuid.UUID) *orchestrator.Runtime {
	h.tb.Helper()
	v, err := h.svc.Game(context.Background(), id)
	if err != nil {
		h.tb.Fatal(err)
	}
	return v.Runtime
}

func MustSucceed(tb testing.TB, op *orchestrator.Operation) {
	tb.Helper()
	if op.Status != orchestrator.OpSucceeded {
		tb.Fatalf("operation %s: %s %s %s", op.Op, op.Status, op.ErrorCode, op.ErrorMessage)
	}
}
