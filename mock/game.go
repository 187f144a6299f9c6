package mock

import (
	"context"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

var _ orchestrator.GameService = (*GameService)(nil)

// GameService is a function-field mock of orchestrator.GameService.
type GameService struct {
	CreateGameFn    func(ctx context.Context, in orchestrator.GameInput, idemKey string) (*orchestrator.GameView, bool, error)
	GameFn          func(ctx context.Context, id uuid.UUID) (*orchestrator.GameView, error)
	GamesFn         func(ctx context.Context, f orchestrator.GameFilter) (*orchestrator.GamePage, error)
	StartFn         func(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error)
	StopFn          func(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error)
	RestartFn       func(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error)
	ForceNextTurnFn func(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error)
	PatchFn         func(ctx context.Context, id uuid.UUID, version string, src orchestrator.Source) (*orchestrator.Operation, error)
	RemoveFn        func(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error)
	SleepFn         func(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error)
	WakeFn          func(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error)
	PauseFn         func(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.GameView, error)
	ResumeFn        func(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.GameView, error)
	OperationsFn    func(ctx context.Context, gameID uuid.UUID, limit int) ([]*orchestrator.Operation, error)
	OperationFn     func(ctx context.Context, id uuid.UUID) (*orchestrator.Operation, error)
}

// CreateGame calls CreateGameFn.
func (s *GameService) CreateGame(ctx context.Context, in orchestrator.GameInput, idemKey string) (*orchestrator.GameView, bool, error) {
	if s.CreateGameFn == nil {
		unset("GameService", "CreateGameFn")
	}
	return s.CreateGameFn(ctx, in, idemKey)
}

// Game calls GameFn.
func (s *GameService) Game(ctx context.Context, id uuid.UUID) (*orchestrator.GameView, error) {
	if s.GameFn == nil {
		unset("GameService", "GameFn")
	}
	return s.GameFn(ctx, id)
}

// Games calls GamesFn.
func (s *GameService) Games(ctx context.Context, f orchestrator.GameFilter) (*orchestrator.GamePage, error) {
	if s.GamesFn == nil {
		unset("GameService", "GamesFn")
	}
	return s.GamesFn(ctx, f)
}

// Start calls StartFn.
func (s *GameService) Start(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
	if s.StartFn == nil {
		unset("GameService", "StartFn")
	}
	return s.StartFn(ctx, id, src)
}

// Stop calls StopFn.
func (s *GameService) Stop(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
	if s.StopFn == nil {
		unset("GameService", "StopFn")
	}
	return s.StopFn(ctx, id, src)
}

// Sleep calls SleepFn.
func (s *GameService) Sleep(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
	if s.SleepFn == nil {
		unset("GameService", "SleepFn")
	}
	return s.SleepFn(ctx, id, src)
}

// Wake calls WakeFn.
func (s *GameService) Wake(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
	if s.WakeFn == nil {
		unset("GameService", "WakeFn")
	}
	return s.WakeFn(ctx, id, src)
}

// Restart calls RestartFn.
func (s *GameService) Restart(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
	if s.RestartFn == nil {
		unset("GameService", "RestartFn")
	}
	return s.RestartFn(ctx, id, src)
}

// ForceNextTurn calls ForceNextTurnFn.
func (s *GameService) ForceNextTurn(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
	if s.ForceNextTurnFn == nil {
		unset("GameService", "ForceNextTurnFn")
	}
	return s.ForceNextTurnFn(ctx, id, src)
}

// Patch calls PatchFn.
func (s *GameService) Patch(ctx context.Context, id uuid.UUID, version string, src orchestrator.Source) (*orchestrator.Operation, error) {
	if s.PatchFn == nil {
		unset("GameService", "PatchFn")
	}
	return s.PatchFn(ctx, id, version, src)
}

// Remove calls RemoveFn.
func (s *GameService) Remove(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.Operation, error) {
	if s.RemoveFn == nil {
		unset("GameService", "RemoveFn")
	}
	return s.RemoveFn(ctx, id, src)
}

// Pause calls PauseFn.
func (s *GameService) Pause(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.GameView, error) {
	if s.PauseFn == nil {
		unset("GameService", "PauseFn")
	}
	return s.PauseFn(ctx, id, src)
}

// Resume calls ResumeFn.
func (s *GameService) Resume(ctx context.Context, id uuid.UUID, src orchestrator.Source) (*orchestrator.GameView, error) {
	if s.ResumeFn == nil {
		unset("GameService", "ResumeFn")
	}
	return s.ResumeFn(ctx, id, src)
}

// Operations calls OperationsFn.
func (s *GameService) Operations(ctx context.Context, gameID uuid.UUID, limit int) ([]*orchestrator.Operation, error) {
	if s.OperationsFn == nil {
		unset("GameService", "OperationsFn")
	}
	return s.OperationsFn(ctx, gameID, limit)
}

// Operation calls OperationFn.
func (s *GameService) Operation(ctx context.Context, id uuid.UUID) (*orchestrator.Operation, error) {
	if s.OperationFn == nil {
		unset("GameService", "OperationFn")
	}
	return s.OperationFn(ctx, id)
}
