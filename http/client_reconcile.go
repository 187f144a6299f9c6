package http

import (
	"context"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// Reconcile implements orchestrator.ReconcileService: POST /api/v1/reconcile (admin)
// runs a pass now and returns its report.
func (c *Client) Reconcile(ctx context.Context) (*orchestrator.ReconcileReport, error) {
	var rep orchestrator.ReconcileReport
	if _, err := c.call(ctx, request{method: "POST", path: "/api/v1/reconcile"}, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// LastReconcile implements orchestrator.ReconcileService, whose method has no context
// and no error: it is LastReconcileReport bounded by Timeout, and nil for any error as
// well as before the first pass. Callers that need the reason use LastReconcileReport.
func (c *Client) LastReconcile() *orchestrator.ReconcileReport {
	rep, _ := c.LastReconcileReport(context.Background())
	return rep
}

// LastReconcileReport returns the last pass's report: GET /api/v1/reconcile (admin).
// Before the first pass it is an ENOTFOUND error.
func (c *Client) LastReconcileReport(ctx context.Context) (*orchestrator.ReconcileReport, error) {
	var rep orchestrator.ReconcileReport
	if _, err := c.call(ctx, request{method: "GET", path: "/api/v1/reconcile"}, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}
