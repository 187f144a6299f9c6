// Package drivertest is the contract every orchestrator.Driver must meet, written
// once as a suite of subtests that each implementation runs against itself (the
// shape of litestream's shared replica-client suite): the local driver
// (local/drivertest_test.go), the Nomad driver against the in-repo fake
// (nomad/drivertest_test.go, in make test) and against real agents (the same file's
// integration build, make test-nomad). Its engines are the real galaxy-engine,
// reached over the engine contract; it imports no adapter.
//
// A driver that is also an orchestrator.NodeDriver (a cluster) meets the node part
// too: placement on a node and off nodes, a game moved off its node as a transfer
// does it, Remove with the game's node down, and the nodes as Nodes, WatchNodes and
// DrainNode show them. Subtests that need two usable nodes skip on a cluster of one,
// saying so.
package drivertest

import (
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// Harness is one driver under test and what the suite needs to drive it. The suite
// gets a new one per subtest, through the function given to Run.
type Harness struct {
	// Driver is the driver under test, open and wired to the observer Run passed;
	// the harness closes it at the test's cleanup.
	Driver orchestrator.Driver
	// Discovery finds the driver's engines (both drivers are their own Discovery).
	Discovery orchestrator.Discovery
	// Other returns another driver on the same backend (another galaxyd's, or the
	// one before a restart), whose engines the Driver must list as Instances:
	// orphans, to the orchestrator. Its cleanup is the harness's.
	Other func(t *testing.T) orchestrator.Driver

	// Version is an engine version that runs the real galaxy-engine.
	Version func(v string) orchestrator.EngineVersion
	// Broken is an engine version CheckVersion accepts but whose engine does not
	// come up (it exits at once, or its image cannot be had).
	Broken func(v string) orchestrator.EngineVersion
	// Invalid is a version CheckVersion and Start refuse with EINVALID naming
	// InvalidField ("command" or "imageRef").
	Invalid      orchestrator.EngineVersion
	InvalidField string

	// Crash ends the game's engine abruptly, the way the platform loses one (local:
	// SIGKILL; Nomad: its allocation goes and is replaced). The driver must bring it
	// back by itself and tell the observer.
	Crash func(t *testing.T, in *orchestrator.Instance)
	// Unplaceable returns a driver of the same backend on which spec cannot be
	// placed (a constraint no node meets, a state directory that cannot be had), and
	// text its EUNAVAILABLE error must contain. Nil skips that subtest.
	Unplaceable func(t *testing.T, spec orchestrator.EngineSpec) (orchestrator.Driver, string)

	// NodeDown takes a node down the way a cluster loses one (its client stops
	// answering: the fake's NodeDown), and NodeUp brings it back. Nil skips the
	// subtests that need it (real clusters: a node cannot be taken down from a test).
	NodeDown, NodeUp func(t *testing.T, nodeID string)
	// MayDrain lets the suite drain a node of the cluster (a fake, or a cluster of the
	// test's own: a drained node takes no new engine until an operator undoes it);
	// Undrain, then required, undoes it at the test's end (drain cancelled, node
	// eligible again).
	MayDrain bool
	Undrain  func(t *testing.T, nodeID string)

	// Timeout bounds every wait of the suite (default 60s; real clusters and exec
	// tasks need more).
	Timeout time.Duration
}

func (h *Harness) timeout() time.Duration {
	if h.Timeout > 0 {
		return h.Timeout
	}
	return time.Minute
}
