package orchestrator

import (
	"context"

	"github.com/google/uuid"
)

// Monitor keeps the runtime's view of each engine — endpoint, placement, restarts,
// health — true to what the drivers and the engines' answers say, at once and outside
// any operation: these are facts about the engine, not changes asked of the game.
type Monitor struct {
	*deps
}

var _ InstanceObserver = (*Monitor)(nil).Observe

// Observe implements InstanceObserver: a driver's news of an engine is written to the
// game's runtime at once — its endpoint, allocation, node and restart count, passing
// health when it runs again, critical health (and the reason) when it went down — so
// nothing waits for the reconciler. News of a game whose engine should not run, or
// that changes nothing, writes nothing.
func (s *Monitor) Observe(in *Instance) {
	ctx := s.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	update := func(r *Runtime) bool {
		before := *r
		if in.Running {
			if in.Endpoint != "" {
				r.EngineEndpoint = in.Endpoint
			}
			if in.AllocID != "" {
				r.AllocID = in.AllocID
			}
			if in.NodeID != "" {
				r.NodeID = in.NodeID
			}
			r.EngineHealth = HealthPassing
		} else {
			r.EngineHealth = HealthCritical
			if in.Reason != "" {
				r.LastError = "engine went down: " + in.Reason
			}
		}
		r.Restarts = max(r.Restarts, in.Restarts)
		return r.EngineEndpoint != before.EngineEndpoint || r.AllocID != before.AllocID || r.NodeID != before.NodeID ||
			r.EngineHealth != before.EngineHealth || r.Restarts != before.Restarts || r.LastError != before.LastError
	}
	observed := func(r *Runtime) bool { return r.Active() || r.Status == StatusFinished || r.Status == StatusStarting }
	var changed bool
	if err := s.Store.View(ctx, func(tx Tx) error {
		r, err := tx.Runtime(in.GameID)
		if err != nil {
			return err
		}
		changed = observed(r) && update(r)
		return nil
	}); err != nil || !changed {
		return
	}
	err := s.Store.Update(ctx, func(tx Tx) error {
		r, err := tx.Runtime(in.GameID)
		if err != nil || !observed(r) || !update(r) {
			return err
		}
		now := s.now()
		r.LastObservedAt, r.UpdatedAt = &now, now
		return tx.PutRuntime(r)
	})
	if err != nil && ctx.Err() == nil {
		s.log(in.GameID).Warn("cannot record the driver's news of the engine", "error", err)
	} else if err == nil {
		s.log(in.GameID).Info("engine changed", "running", in.Running, "endpoint", in.Endpoint, "alloc_id", in.AllocID, "node_id", in.NodeID, "restarts", in.Restarts)
	}
}

// setHealth records the engine's health when it changed; it is a fact about the
// engine, written outside any operation.
func (s *Monitor) setHealth(id uuid.UUID, health string) {
	err := s.Store.Update(s.ctx, func(tx Tx) error {
		r, err := tx.Runtime(id)
		if err != nil || r.EngineHealth == health || !r.Active() && r.Status != StatusFinished {
			return err
		}
		r.EngineHealth, r.UpdatedAt = health, s.now()
		return tx.PutRuntime(r)
	})
	if err != nil && s.ctx.Err() == nil {
		s.log(id).Warn("cannot record engine health", "health", health, "error", err)
	}
}
