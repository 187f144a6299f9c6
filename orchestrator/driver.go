package orchestrator

import (
	"context"

	"github.com/google/uuid"
)

// EngineSpec is everything a driver needs to run one game's engine.
type EngineSpec struct {
	GameID  uuid.UUID
	Version EngineVersion
	// AdminToken reaches the engine as GALAXY_ENGINE_ADMIN_TOKEN; drivers never log it
	// or put it in job meta.
	AdminToken string
	// Node, when set, is the node the engine must be placed on; AvoidNodes are nodes it
	// must not be placed on (a transfer off a draining or lost node). A driver with a
	// single machine (local) ignores both.
	Node       string
	AvoidNodes []string
}

// Instance is what a driver knows of a running (or placed) engine.
type Instance struct {
	GameID     uuid.UUID `json:"gameId"`
	Version    string    `json:"version,omitempty"`
	Endpoint   string    `json:"endpoint,omitempty"` // base URL, e.g. http://127.0.0.1:41234
	Running    bool      `json:"running"`
	JobID      string    `json:"jobId,omitempty"`
	JobVersion uint64    `json:"jobVersion,omitempty"`
	AllocID    string    `json:"allocId,omitempty"`
	NodeID     string    `json:"nodeId,omitempty"`
	VolumeID   string    `json:"volumeId,omitempty"`
	ImageRef   string    `json:"imageRef,omitempty"`
	Restarts   int       `json:"restarts,omitempty"`
	// Reason says why an engine that should run does not (Running false), when the
	// driver knows: the exit status of a crash, a failed allocation's event.
	Reason string `json:"reason,omitempty"`
}

// Driver runs engines: child processes (local/) or Nomad jobs (nomad/).
type Driver interface {
	// Start makes the game's engine run spec.Version and returns once it is placed and
	// its health check passes. It is idempotent: an engine already running that version
	// is returned as is; one running another version is replaced, keeping its state.
	// A replacement that does not come up never leaves the game without its engine:
	// the driver brings back the engine it replaced (its previous version, on the same
	// state) before it returns the error, which then says so.
	// Errors: EUNAVAILABLE (placement failed, with the reason), EINVALID (spec unusable
	// by this driver, e.g. no command), context errors.
	Start(ctx context.Context, spec EngineSpec) (*Instance, error)
	// Stop stops the engine and keeps its state. Stopping a stopped game is a no-op.
	Stop(ctx context.Context, gameID uuid.UUID) error
	// Remove stops the engine and deletes its state for good. Idempotent.
	Remove(ctx context.Context, gameID uuid.UUID) error
	// Instances lists every engine the driver knows of, including ones no game claims
	// (orphans), for the reconciler.
	Instances(ctx context.Context) ([]*Instance, error)
	// CheckVersion reports, without starting anything, whether the driver could run v:
	// for the local driver a command that exists and is executable, for Nomad the
	// imageRef or command its task driver needs. Errors: EINVALID naming the field
	// ("command" or "imageRef").
	CheckVersion(v EngineVersion) error
}

// InstanceObserver receives a driver's news of an engine that changed without a Start
// asking for it: it crashed (Running false, with Reason), the driver restarted it on a
// new endpoint, or Nomad rescheduled it to another allocation or node. Drivers call it
// from their own goroutines with no lock held; it must return quickly and must not call
// the driver for the same game.
type InstanceObserver func(in *Instance)

// Discovery finds a running engine's current endpoint.
type Discovery interface {
	// Endpoint returns the base URL of the game's engine. Errors: EUNAVAILABLE when the
	// engine is not running or not healthy.
	Endpoint(ctx context.Context, gameID uuid.UUID) (string, error)
}
