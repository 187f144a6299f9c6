package orchestrator

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"
)

// EngineVersion is one entry of the engine-version registry. Version is a strict semver
// string ("1.2.3", no "v" prefix); ImageRef is the Docker image the Nomad driver runs;
// Command is the engine binary (absolute path) the local driver runs. Disabled versions
// stay known to running games but cannot be picked by new creates or patches.
type EngineVersion struct {
	Version  string `json:"version"`
	ImageRef string `json:"imageRef,omitempty"`
	Command  string `json:"command,omitempty"`
	Enabled  bool   `json:"enabled"`
	Notes    string `json:"notes,omitempty"`
	// SettingsSchema is the JSON Schema (draft 2020-12) of the game settings this
	// engine accepts at init; creates are checked against it. Empty: any settings.
	SettingsSchema json.RawMessage `json:"settingsSchema,omitempty"`
	CreatedAt      time.Time       `json:"createdAt"`
	UpdatedAt      time.Time       `json:"updatedAt"`
}

// ParseVersion parses a strict semver "MAJOR.MINOR.PATCH[-pre][+build]".
// It returns EINVALID naming "version".
func ParseVersion(s string) (*semver.Version, error) {
	if s == "" {
		return nil, FieldErrorf("version", "version is required")
	}
	v, err := semver.StrictNewVersion(s)
	if err != nil {
		return nil, FieldErrorf("version", "%q is not a semantic version (MAJOR.MINOR.PATCH)", s)
	}
	return v, nil
}

// Validate checks the version string and that at least one way to run it is given.
func (v *EngineVersion) Validate() error {
	if _, err := ParseVersion(v.Version); err != nil {
		return err
	}
	if v.ImageRef == "" && v.Command == "" {
		return FieldErrorf("imageRef", "imageRef (Nomad) or command (local driver) is required")
	}
	if len(v.Notes) > 4096 {
		return FieldErrorf("notes", "notes must be at most 4096 bytes")
	}
	if len(v.SettingsSchema) > 0 {
		if _, err := compileSettingsSchema(v.SettingsSchema); err != nil {
			return err
		}
	}
	return nil
}

// CheckPatch enforces the patch rule: the target stays within the current
// major.minor and is strictly newer. It returns ECONFLICT naming "version" otherwise.
func CheckPatch(current, target string) error {
	cur, err := ParseVersion(current)
	if err != nil {
		return err
	}
	tgt, err := ParseVersion(target)
	if err != nil {
		return err
	}
	if cur.Major() != tgt.Major() || cur.Minor() != tgt.Minor() {
		return &Error{Code: ECONFLICT, Field: "version", Message: fmt.Sprintf("patch must stay within %d.%d (target %s)", cur.Major(), cur.Minor(), target)}
	}
	if !tgt.GreaterThan(cur) {
		return &Error{Code: ECONFLICT, Field: "version", Message: fmt.Sprintf("patch must move forward from %s (target %s)", current, target)}
	}
	return nil
}

// EngineVersionService manages the registry.
type EngineVersionService interface {
	// EngineVersions lists every version, ascending by semver.
	EngineVersions(ctx context.Context) ([]*EngineVersion, error)
	// EngineVersion returns one. Errors: EINVALID (bad semver), ENOTFOUND.
	EngineVersion(ctx context.Context, version string) (*EngineVersion, error)
	// CreateEngineVersion adds one, after checking what can be checked at once: its
	// fields, its settings schema, and that the configured driver could run it (the
	// local driver: the command exists and is executable). Errors: EINVALID naming the
	// field, ECONFLICT (exists).
	CreateEngineVersion(ctx context.Context, v *EngineVersion) (*EngineVersion, error)
	// PutEngineVersion creates or replaces one, checked as CreateEngineVersion does.
	// Errors: EINVALID.
	PutEngineVersion(ctx context.Context, v *EngineVersion) (*EngineVersion, error)
	// DeleteEngineVersion removes one. Errors: ENOTFOUND, ECONFLICT (a game still uses it).
	DeleteEngineVersion(ctx context.Context, version string) error
}
