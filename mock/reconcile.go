package mock

import (
	"context"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

var _ orchestrator.ReconcileService = (*ReconcileService)(nil)

// ReconcileService is a function-field mock of orchestrator.ReconcileService.
type ReconcileService struct {
	ReconcileFn     func(ctx context.Context) (*orchestrator.ReconcileReport, error)
	LastReconcileFn func() *orchestrator.ReconcileReport
}

// Reconcile calls ReconcileFn.
func (s *ReconcileService) Reconcile(ctx context.Context) (*orchestrator.ReconcileReport, error) {
	if s.ReconcileFn == nil {
		unset("ReconcileService", "ReconcileFn")
	}
	return s.ReconcileFn(ctx)
}

// LastReconcile calls LastReconcileFn.
func (s *ReconcileService) LastReconcile() *orchestrator.ReconcileReport {
	if s.LastReconcileFn == nil {
		unset("ReconcileService", "LastReconcileFn")
	}
	return s.LastReconcileFn()
}
