package orchestrator

import (
	"context"

	"github.com/google/uuid"
)

// Corrections are what the reconciler may ask for: each is an operation with source
// "reconciler", queued like the API's, so it is logged and serialised with everything
// else the game does (the reconciler only decides). Errors as the lifecycle's requests:
// ENOTFOUND, ECONFLICT (the transition table refuses it), EOVERLOADED.
type Corrections interface {
	Ensure(ctx context.Context, id uuid.UUID) (*Operation, error)
	Halt(ctx context.Context, id uuid.UUID, remove bool) (*Operation, error)
	Refresh(ctx context.Context, id uuid.UUID, in *Instance) (*Operation, error)
	RemoveOrphan(ctx context.Context, id uuid.UUID) (*Operation, error)
	ArchiveNow(ctx context.Context, id uuid.UUID) (*Operation, error)
}

// Corrector implements Corrections.
type Corrector struct {
	q *queue
}

var _ Corrections = (*Corrector)(nil)

// Ensure is the reconciler's correction for a game whose engine should run and does
// not, or runs and answers although its start "failed": a start operation from the
// reconciler (ActEnsure in the table).
func (s *Corrector) Ensure(ctx context.Context, id uuid.UUID) (*Operation, error) {
	return s.q.request(ctx, id, ActEnsure, OpStart, SourceReconciler, OpDetails{}, nil)
}

// Halt is the reconciler's correction for an engine that runs although its game
// should not: a stop operation from the reconciler, or a remove for a removed game
// (ActHalt in the table).
func (s *Corrector) Halt(ctx context.Context, id uuid.UUID, remove bool) (*Operation, error) {
	kind := OpStop
	if remove {
		kind = OpRemove
	}
	return s.q.request(ctx, id, ActHalt, kind, SourceReconciler, OpDetails{}, nil)
}

// Refresh is the reconciler's correction for a runtime whose recorded placement is out
// of date: a refresh operation recording in's endpoint, allocation and node.
func (s *Corrector) Refresh(ctx context.Context, id uuid.UUID, in *Instance) (*Operation, error) {
	return s.q.request(ctx, id, ActRefresh, OpRefresh, SourceReconciler, OpDetails{Endpoint: in.Endpoint, AllocID: in.AllocID, NodeID: in.NodeID}, nil)
}

// ArchiveNow is the reconciler's correction for a game whose archive lags its turns: an
// archive operation (ActArchive in the table).
func (s *Corrector) ArchiveNow(ctx context.Context, id uuid.UUID) (*Operation, error) {
	return s.q.request(ctx, id, ActArchive, OpArchive, SourceReconciler, OpDetails{}, nil)
}

// RemoveOrphan removes an engine, with its state, that no game claims.
func (s *Corrector) RemoveOrphan(ctx context.Context, id uuid.UUID) (*Operation, error) {
	return s.q.removeOrphan(ctx, id)
}
