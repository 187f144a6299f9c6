package orchestrator

import (
	"context"
	"sort"
)

// Registry implements EngineVersionService: the engine versions games may run, each
// checked when it is registered.
type Registry struct {
	*deps
}

var _ EngineVersionService = (*Registry)(nil)

// EngineVersions implements EngineVersionService.
func (s *Registry) EngineVersions(ctx context.Context) ([]*EngineVersion, error) {
	var out []*EngineVersion
	err := s.Store.View(ctx, func(tx Tx) (err error) {
		out, err = tx.EngineVersions()
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := ParseVersion(out[i].Version)
		b, _ := ParseVersion(out[j].Version)
		return a != nil && b != nil && a.LessThan(b)
	})
	return out, nil
}

// EngineVersion implements EngineVersionService.
func (s *Registry) EngineVersion(ctx context.Context, version string) (*EngineVersion, error) {
	if _, err := ParseVersion(version); err != nil {
		return nil, err
	}
	var v *EngineVersion
	err := s.Store.View(ctx, func(tx Tx) (err error) {
		v, err = tx.EngineVersion(version)
		return err
	})
	return v, err
}

// checkVersion is what every registration checks: the record, then the driver.
func (s *Registry) checkVersion(v *EngineVersion) error {
	if err := v.Validate(); err != nil {
		return err
	}
	return s.Driver.CheckVersion(*v)
}

// CreateEngineVersion implements EngineVersionService.
func (s *Registry) CreateEngineVersion(ctx context.Context, v *EngineVersion) (*EngineVersion, error) {
	if err := s.checkVersion(v); err != nil {
		return nil, err
	}
	err := s.Store.Update(ctx, func(tx Tx) error {
		if _, err := tx.EngineVersion(v.Version); err == nil {
			return &Error{Code: ECONFLICT, Field: "version", Message: "engine version " + v.Version + " already exists"}
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
		v.CreatedAt, v.UpdatedAt = s.now(), s.now()
		return tx.PutEngineVersion(v)
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("engine version added", "version", v.Version, "image_ref", v.ImageRef, "command", v.Command)
	return v, nil
}

// PutEngineVersion implements EngineVersionService.
func (s *Registry) PutEngineVersion(ctx context.Context, v *EngineVersion) (*EngineVersion, error) {
	if err := s.checkVersion(v); err != nil {
		return nil, err
	}
	err := s.Store.Update(ctx, func(tx Tx) error {
		now := s.now()
		v.CreatedAt, v.UpdatedAt = now, now
		if old, err := tx.EngineVersion(v.Version); err == nil {
			v.CreatedAt = old.CreatedAt
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
		return tx.PutEngineVersion(v)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// DeleteEngineVersion implements EngineVersionService.
func (s *Registry) DeleteEngineVersion(ctx context.Context, version string) error {
	if _, err := ParseVersion(version); err != nil {
		return err
	}
	return s.Store.Update(ctx, func(tx Tx) error {
		if _, err := tx.EngineVersion(version); err != nil {
			return err
		}
		if err := tx.Runtimes(func(r *Runtime) error {
			if r.EngineVersion == version && r.Status != StatusRemoved {
				return Errorf(ECONFLICT, "engine version %s is used by game %s", version, r.GameID)
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.DeleteEngineVersion(version)
	})
}
