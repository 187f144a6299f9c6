package mock

import (
	"context"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

var _ orchestrator.EngineVersionService = (*EngineVersionService)(nil)

// EngineVersionService is a function-field mock of orchestrator.EngineVersionService.
type EngineVersionService struct {
	EngineVersionsFn      func(ctx context.Context) ([]*orchestrator.EngineVersion, error)
	EngineVersionFn       func(ctx context.Context, version string) (*orchestrator.EngineVersion, error)
	CreateEngineVersionFn func(ctx context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error)
	PutEngineVersionFn    func(ctx context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error)
	DeleteEngineVersionFn func(ctx context.Context, version string) error
}

// EngineVersions calls EngineVersionsFn.
func (s *EngineVersionService) EngineVersions(ctx context.Context) ([]*orchestrator.EngineVersion, error) {
	if s.EngineVersionsFn == nil {
		unset("EngineVersionService", "EngineVersionsFn")
	}
	return s.EngineVersionsFn(ctx)
}

// EngineVersion calls EngineVersionFn.
func (s *EngineVersionService) EngineVersion(ctx context.Context, version string) (*orchestrator.EngineVersion, error) {
	if s.EngineVersionFn == nil {
		unset("EngineVersionService", "EngineVersionFn")
	}
	return s.EngineVersionFn(ctx, version)
}

// CreateEngineVersion calls CreateEngineVersionFn.
func (s *EngineVersionService) CreateEngineVersion(ctx context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
	if s.CreateEngineVersionFn == nil {
		unset("EngineVersionService", "CreateEngineVersionFn")
	}
	return s.CreateEngineVersionFn(ctx, v)
}

// PutEngineVersion calls PutEngineVersionFn.
func (s *EngineVersionService) PutEngineVersion(ctx context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
	if s.PutEngineVersionFn == nil {
		unset("EngineVersionService", "PutEngineVersionFn")
	}
	return s.PutEngineVersionFn(ctx, v)
}

// DeleteEngineVersion calls DeleteEngineVersionFn.
func (s *EngineVersionService) DeleteEngineVersion(ctx context.Context, version string) error {
	if s.DeleteEngineVersionFn == nil {
		unset("EngineVersionService", "DeleteEngineVersionFn")
	}
	return s.DeleteEngineVersionFn(ctx, version)
}
