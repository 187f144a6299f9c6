package drivertest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// AdminToken is the admin token of every engine the suite starts.
const AdminToken = "drivertest-admin-token-5c1e0b7a"

// Run runs the contract against the driver newHarness builds, once per subtest;
// observe is what the driver must call as its InstanceObserver (Config.OnChange).
func Run(t *testing.T, newHarness func(t *testing.T, observe orchestrator.InstanceObserver) *Harness) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, h *Harness, o *observer)
	}{
		{"StartIsIdempotent", testStartIdempotent},
		{"ReplacementKeepsState", testReplacement},
		{"FailedReplacementKeepsTheOldEngine", testFailedReplacement},
		{"StopKeepsState", testStop},
		{"RemoveDeletesState", testRemove},
		{"InstancesListOrphans", testInstances},
		{"CrashIsRestartedAndObserved", testCrash},
		{"PlacementFailureNamesTheReason", testPlacementFailure},
		{"CheckVersion", testCheckVersion},
		{"Nodes", testNodes},
		{"PlacementOnANode", testPlacementOnNode},
		{"PlacementAvoidsNodes", testPlacementAvoids},
		{"MoveOffANode", testMoveOffNode},
		{"RemoveWithTheNodeDown", testRemoveNodeDown},
		{"DrainNode", testDrainNode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &observer{ch: make(chan *orchestrator.Instance, 256)}
			h := newHarness(t, o.observe)
			tc.fn(t, h, o)
		})
	}
}

func testStartIdempotent(t *testing.T, h *Harness, o *observer) {
	spec := newSpec(t, h, "0.1.0")
	in := mustStart(t, h, h.Driver, spec)
	if in.GameID != spec.GameID || in.Version != "0.1.0" || !in.Running || in.Endpoint == "" {
		t.Fatalf("start returned %+v, want game %s running 0.1.0 with an endpoint", in, spec.GameID)
	}
	mustInit(t, h, in.Endpoint, spec.GameID)
	again := mustStart(t, h, h.Driver, spec)
	if again.Endpoint != in.Endpoint || again.AllocID != in.AllocID {
		t.Fatalf("second start returned %+v, want the running engine at %s (allocation %q)", again, in.Endpoint, in.AllocID)
	}
	if got := mustState(t, h, again.Endpoint); got.GameID != spec.GameID {
		t.Fatalf("state after a second start: game %s, want %s", got.GameID, spec.GameID)
	}
	if ep, err := h.Discovery.Endpoint(ctx(t, h), spec.GameID); err != nil || ep != in.Endpoint {
		t.Fatalf("discovery: %q, %v; want %s", ep, err, in.Endpoint)
	}
	o.none(t, spec.GameID, "starts asked for")
}

func testReplacement(t *testing.T, h *Harness, o *observer) {
	spec := newSpec(t, h, "0.1.0")
	in := mustStart(t, h, h.Driver, spec)
	mustInit(t, h, in.Endpoint, spec.GameID)
	mustTurn(t, h, in.Endpoint, 1)

	spec.Version = h.Version("0.1.1")
	next := mustStart(t, h, h.Driver, spec)
	if next.Version != "0.1.1" || !next.Running {
		t.Fatalf("replacement returned %+v, want 0.1.1 running", next)
	}
	st := mustState(t, h, next.Endpoint)
	if st.GameID != spec.GameID || st.Turn != 1 {
		t.Fatalf("state after the replacement: game %s turn %d, want game %s turn 1", st.GameID, st.Turn, spec.GameID)
	}
	if _, err := client(next.Endpoint).Init(ctx(t, h), initRequest(spec.GameID)); !engine.IsStatus(err, http.StatusConflict) {
		t.Fatalf("init after the replacement: %v, want 409 (the state was kept)", err)
	}
	eventually(t, h, "discovery of the replacement", func() error {
		ep, err := h.Discovery.Endpoint(ctx(t, h), spec.GameID)
		if err == nil && ep != next.Endpoint {
			err = fmt.Errorf("endpoint %s, want %s", ep, next.Endpoint)
		}
		return err
	})
	o.none(t, spec.GameID, "a replacement that came up")
}

func testFailedReplacement(t *testing.T, h *Harness, o *observer) {
	spec := newSpec(t, h, "0.1.0")
	in := mustStart(t, h, h.Driver, spec)
	mustInit(t, h, in.Endpoint, spec.GameID)
	mustTurn(t, h, in.Endpoint, 1)

	broken := spec
	broken.Version = h.Broken("0.1.1")
	_, err := h.Driver.Start(ctx(t, h), broken)
	mustCode(t, err, orchestrator.EUNAVAILABLE, "0.1.1", "the previous engine 0.1.0 runs again")

	var ep string
	eventually(t, h, "the previous engine", func() (err error) {
		ep, err = h.Discovery.Endpoint(ctx(t, h), spec.GameID)
		return err
	})
	st := mustState(t, h, ep)
	if st.GameID != spec.GameID || st.Turn != 1 {
		t.Fatalf("state after the failed replacement: game %s turn %d, want game %s turn 1", st.GameID, st.Turn, spec.GameID)
	}
	if got := mustInstance(t, h, h.Driver, spec.GameID); got == nil || !got.Running || got.Version != "0.1.0" {
		t.Fatalf("instance after the failed replacement: %+v, want 0.1.0 running", got)
	}
	news := o.next(t, h, spec.GameID, "the previous engine's return", func(in *orchestrator.Instance) bool { return in.Running })
	if news.Version != "0.1.0" || news.Endpoint != ep {
		t.Fatalf("news %+v, want 0.1.0 running at %s", news, ep)
	}
}

func testStop(t *testing.T, h *Harness, o *observer) {
	spec := newSpec(t, h, "0.1.0")
	in := mustStart(t, h, h.Driver, spec)
	mustInit(t, h, in.Endpoint, spec.GameID)
	mustTurn(t, h, in.Endpoint, 1)
	if err := h.Driver.Stop(ctx(t, h), spec.GameID); err != nil {
		t.Fatal(err)
	}
	eventually(t, h, "the endpoint to go", func() error {
		if _, err := h.Discovery.Endpoint(ctx(t, h), spec.GameID); orchestrator.ErrorCode(err) != orchestrator.EUNAVAILABLE {
			return fmt.Errorf("endpoint after stop: %v, want EUNAVAILABLE", err)
		}
		return nil
	})
	if err := client(in.Endpoint).Healthz(ctx(t, h)); err == nil {
		t.Fatalf("the engine at %s still answers after Stop", in.Endpoint)
	}
	if err := h.Driver.Stop(ctx(t, h), spec.GameID); err != nil {
		t.Fatalf("second stop: %v", err)
	}
	if got := mustInstance(t, h, h.Driver, spec.GameID); got != nil && got.Running {
		t.Fatalf("instance after stop: %+v, want none or not running", got)
	}
	again := mustStart(t, h, h.Driver, spec)
	if st := mustState(t, h, again.Endpoint); st.GameID != spec.GameID || st.Turn != 1 {
		t.Fatalf("state after stop and start: game %s turn %d, want game %s turn 1", st.GameID, st.Turn, spec.GameID)
	}
	o.none(t, spec.GameID, "a stop and a start asked for")
}

func testRemove(t *testing.T, h *Harness, _ *observer) {
	spec := newSpec(t, h, "0.1.0")
	in := mustStart(t, h, h.Driver, spec)
	mustInit(t, h, in.Endpoint, spec.GameID)
	if err := h.Driver.Remove(ctx(t, h), spec.GameID); err != nil {
		t.Fatal(err)
	}
	if err := client(in.Endpoint).Healthz(ctx(t, h)); err == nil {
		t.Fatalf("the engine at %s still answers after Remove", in.Endpoint)
	}
	if err := h.Driver.Remove(ctx(t, h), spec.GameID); err != nil {
		t.Fatalf("second remove: %v", err)
	}
	if got := mustInstance(t, h, h.Driver, spec.GameID); got != nil {
		t.Fatalf("instance after remove: %+v, want none", got)
	}
	// A start afterwards begins from nothing: the state went with the game.
	again := mustStart(t, h, h.Driver, spec)
	if _, err := client(again.Endpoint).State(ctx(t, h)); !engine.IsStatus(err, http.StatusNotFound) {
		t.Fatalf("state after remove and start: %v, want 404 (no state)", err)
	}
	mustInit(t, h, again.Endpoint, spec.GameID)
}

func testInstances(t *testing.T, h *Harness, _ *observer) {
	own := newSpec(t, h, "0.1.0")
	mine := mustStart(t, h, h.Driver, own)
	other := h.Other(t)
	orphan := newSpecOn(t, h, other, "0.1.0")
	theirs := mustStart(t, h, other, orphan)

	// The endpoint of an engine the driver did not start comes from its discovery,
	// which may take a moment to see it pass.
	var mineIn, theirsIn *orchestrator.Instance
	eventually(t, h, "both engines listed with their endpoints", func() error {
		list, err := h.Driver.Instances(ctx(t, h))
		if err != nil {
			return err
		}
		mineIn, theirsIn = nil, nil
		for _, in := range list {
			switch in.GameID {
			case own.GameID:
				mineIn = in
			case orphan.GameID:
				theirsIn = in
			}
		}
		if mineIn == nil || theirsIn == nil || theirsIn.Endpoint == "" {
			return fmt.Errorf("own %+v, other's %+v", mineIn, theirsIn)
		}
		return nil
	})
	if !mineIn.Running || mineIn.Endpoint != mine.Endpoint || mineIn.Version != "0.1.0" {
		t.Fatalf("instance of its own game: %+v, want 0.1.0 running at %s", mineIn, mine.Endpoint)
	}
	if !theirsIn.Running || theirsIn.Endpoint != theirs.Endpoint {
		t.Fatalf("instance of another driver's game: %+v, want it running at %s", theirsIn, theirs.Endpoint)
	}
	if err := client(theirsIn.Endpoint).Healthz(ctx(t, h)); err != nil {
		t.Fatalf("orphan at %s: %v", theirsIn.Endpoint, err)
	}
}

func testCrash(t *testing.T, h *Harness, o *observer) {
	spec := newSpec(t, h, "0.1.0")
	in := mustStart(t, h, h.Driver, spec)
	mustInit(t, h, in.Endpoint, spec.GameID)
	mustTurn(t, h, in.Endpoint, 1)
	h.Crash(t, in)

	news := o.next(t, h, spec.GameID, "the engine back after its crash", func(n *orchestrator.Instance) bool {
		return n.Running && n.Endpoint != "" && (n.Endpoint != in.Endpoint || n.AllocID != in.AllocID || n.Restarts > in.Restarts)
	})
	if err := client(news.Endpoint).Healthz(ctx(t, h)); err != nil {
		t.Fatalf("the restarted engine at %s: %v", news.Endpoint, err)
	}
	if st := mustState(t, h, news.Endpoint); st.GameID != spec.GameID || st.Turn != 1 {
		t.Fatalf("state after the crash: game %s turn %d, want game %s turn 1", st.GameID, st.Turn, spec.GameID)
	}
	eventually(t, h, "discovery of the restarted engine", func() error {
		ep, err := h.Discovery.Endpoint(ctx(t, h), spec.GameID)
		if err == nil && ep != news.Endpoint {
			err = fmt.Errorf("endpoint %s, want the news' %s", ep, news.Endpoint)
		}
		return err
	})
}

func testPlacementFailure(t *testing.T, h *Harness, _ *observer) {
	if h.Unplaceable == nil {
		t.Skip("the harness has no unplaceable driver")
	}
	spec := newSpec(t, h, "0.1.0")
	d, reason := h.Unplaceable(t, spec)
	_, err := d.Start(ctx(t, h), spec)
	mustCode(t, err, orchestrator.EUNAVAILABLE, reason)
}

func testCheckVersion(t *testing.T, h *Harness, _ *observer) {
	if err := h.Driver.CheckVersion(h.Version("0.1.0")); err != nil {
		t.Fatalf("a working version: %v", err)
	}
	if err := h.Driver.CheckVersion(h.Broken("0.1.1")); err != nil {
		t.Fatalf("a version that fails only when it runs: %v", err)
	}
	err := h.Driver.CheckVersion(h.Invalid)
	var oe *orchestrator.Error
	if !errors.As(err, &oe) || oe.Code != orchestrator.EINVALID || oe.Field != h.InvalidField {
		t.Fatalf("an unusable version: %v, want EINVALID naming %q", err, h.InvalidField)
	}
	spec := newSpec(t, h, "0.1.0")
	spec.Version = h.Invalid
	if _, err := h.Driver.Start(ctx(t, h), spec); orchestrator.ErrorCode(err) != orchestrator.EINVALID {
		t.Fatalf("start of an unusable version: %v, want EINVALID", err)
	}
}

// newSpec is a new game on the harness's driver running version v; it is removed at
// the end of the test.
func newSpec(t *testing.T, h *Harness, v string) orchestrator.EngineSpec {
	return newSpecOn(t, h, h.Driver, v)
}

func newSpecOn(t *testing.T, h *Harness, d orchestrator.Driver, v string) orchestrator.EngineSpec {
	t.Helper()
	spec := orchestrator.EngineSpec{GameID: uuid.New(), Version: h.Version(v), AdminToken: AdminToken}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), h.timeout())
		defer cancel()
		if err := d.Remove(c, spec.GameID); err != nil {
			t.Logf("cleanup: remove game %s: %v", spec.GameID, err)
		}
	})
	return spec
}

func ctx(t *testing.T, h *Harness) context.Context {
	c, cancel := context.WithTimeout(context.Background(), h.timeout())
	t.Cleanup(cancel)
	return c
}

func mustStart(t *testing.T, h *Harness, d orchestrator.Driver, spec orchestrator.EngineSpec) *orchestrator.Instance {
	t.Helper()
	in, err := d.Start(ctx(t, h), spec)
	if err != nil {
		t.Fatalf("start %s of game %s: %v", spec.Version.Version, spec.GameID, err)
	}
	return in
}

func mustCode(t *testing.T, err error, code string, want ...string) {
	t.Helper()
	if got := orchestrator.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	for _, w := range want {
		if msg := orchestrator.ErrorMessage(err); !strings.Contains(msg, w) {
			t.Errorf("message %q: want it to name %q", msg, w)
		}
	}
}

func mustInstance(t *testing.T, h *Harness, d orchestrator.Driver, id uuid.UUID) *orchestrator.Instance {
	t.Helper()
	list, err := d.Instances(ctx(t, h))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		if in.GameID == id {
			return in
		}
	}
	return nil
}

func client(endpoint string) *engine.Client { return engine.NewClient(endpoint, AdminToken) }

func initRequest(id uuid.UUID) engine.InitRequest {
	return engine.InitRequest{GameID: id, Races: []engine.Race{
		{RaceName: "Alpha", PlayerID: uuid.New()}, {RaceName: "Beta", PlayerID: uuid.New()},
	}}
}

func mustInit(t *testing.T, h *Harness, endpoint string, id uuid.UUID) {
	t.Helper()
	if _, err := client(endpoint).Init(ctx(t, h), initRequest(id)); err != nil {
		t.Fatalf("init: %v", err)
	}
}

func mustTurn(t *testing.T, h *Harness, endpoint string, turn int) {
	t.Helper()
	if _, err := client(endpoint).Turn(ctx(t, h), turn); err != nil {
		t.Fatalf("turn %d: %v", turn, err)
	}
}

func mustState(t *testing.T, h *Harness, endpoint string) *engine.State {
	t.Helper()
	st, err := client(endpoint).State(ctx(t, h))
	if err != nil {
		t.Fatalf("state at %s: %v", endpoint, err)
	}
	return st
}

// eventually polls f until it returns nil, failing the test after the harness's
// timeout.
func eventually(t *testing.T, h *Harness, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(h.timeout())
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %s: %v", what, h.timeout(), err)
		}
		time.Sleep(10 * time.Millisecond) // a polling interval, not synchronisation
	}
}

// observer collects the driver's InstanceObserver news.
type observer struct {
	ch chan *orchestrator.Instance
}

func (o *observer) observe(in *orchestrator.Instance) {
	select {
	case o.ch <- in:
	default: // a test that does not read its news must not block the driver
	}
}

// next returns the next news of the game that ok accepts, failing after the
// harness's timeout.
func (o *observer) next(t *testing.T, h *Harness, id uuid.UUID, what string, ok func(*orchestrator.Instance) bool) *orchestrator.Instance {
	t.Helper()
	deadline := time.After(h.timeout())
	for {
		select {
		case in := <-o.ch:
			if in.GameID == id && ok(in) {
				return in
			}
		case <-deadline:
			t.Fatalf("no news of %s within %s", what, h.timeout())
			return nil
		}
	}
}

// none fails the test if news of the game arrived that says it runs somewhere new or
// not at all: what a Start, Stop or Remove asked for is their own news.
func (o *observer) none(t *testing.T, id uuid.UUID, what string) {
	t.Helper()
	for {
		select {
		case in := <-o.ch:
			if in.GameID == id {
				t.Errorf("news of game %s after %s: %+v (a call's own outcome is not news)", id, what, in)
			}
		default:
			return
		}
	}
}
