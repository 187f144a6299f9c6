package mock

import (
	"context"
	"encoding/json"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

var _ orchestrator.PlayerService = (*PlayerService)(nil)

// PlayerService is a function-field mock of orchestrator.PlayerService.
type PlayerService struct {
	SubmitOrdersFn func(ctx context.Context, gameID, userID uuid.UUID, in orchestrator.OrdersInput) (*engine.OrdersResult, error)
	CommandFn      func(ctx context.Context, gameID, userID uuid.UUID, command json.RawMessage) (json.RawMessage, error)
	ReportFn       func(ctx context.Context, gameID, userID uuid.UUID, q orchestrator.ReportQuery) (json.RawMessage, error)
}

// SubmitOrders calls SubmitOrdersFn.
func (s *PlayerService) SubmitOrders(ctx context.Context, gameID, userID uuid.UUID, in orchestrator.OrdersInput) (*engine.OrdersResult, error) {
	if s.SubmitOrdersFn == nil {
		unset("PlayerService", "SubmitOrdersFn")
	}
	return s.SubmitOrdersFn(ctx, gameID, userID, in)
}

// Command calls CommandFn.
func (s *PlayerService) Command(ctx context.Context, gameID, userID uuid.UUID, command json.RawMessage) (json.RawMessage, error) {
	if s.CommandFn == nil {
		unset("PlayerService", "CommandFn")
	}
	return s.CommandFn(ctx, gameID, userID, command)
}

// Report calls ReportFn.
func (s *PlayerService) Report(ctx context.Context, gameID, userID uuid.UUID, q orchestrator.ReportQuery) (json.RawMessage, error) {
	if s.ReportFn == nil {
		unset("PlayerService", "ReportFn")
	}
	return s.ReportFn(ctx, gameID, userID, q)
}
