package http

import (
	"context"
	"net/url"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// EngineVersions implements orchestrator.EngineVersionService: GET
// /api/v1/engine-versions (admin), ascending by semver.
func (c *Client) EngineVersions(ctx context.Context) ([]*orchestrator.EngineVersion, error) {
	var l EngineVersionList
	if _, err := c.call(ctx, request{method: "GET", path: "/api/v1/engine-versions"}, &l); err != nil {
		return nil, err
	}
	return l.Versions, nil
}

// EngineVersion implements orchestrator.EngineVersionService: GET
// /api/v1/engine-versions/{version} (admin).
func (c *Client) EngineVersion(ctx context.Context, version string) (*orchestrator.EngineVersion, error) {
	var v orchestrator.EngineVersion
	if _, err := c.call(ctx, request{method: "GET", path: versionPath(version)}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// CreateEngineVersion implements orchestrator.EngineVersionService: POST
// /api/v1/engine-versions (admin), with v.Enabled as given. The registry sets the
// timestamps.
func (c *Client) CreateEngineVersion(ctx context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
	var out orchestrator.EngineVersion
	if _, err := c.call(ctx, request{method: "POST", path: "/api/v1/engine-versions", body: versionInput(v)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PutEngineVersion implements orchestrator.EngineVersionService: PUT
// /api/v1/engine-versions/{version} (admin), replacing the whole record.
func (c *Client) PutEngineVersion(ctx context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
	var out orchestrator.EngineVersion
	if _, err := c.call(ctx, request{method: "PUT", path: versionPath(v.Version), body: versionInput(v)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteEngineVersion implements orchestrator.EngineVersionService: DELETE
// /api/v1/engine-versions/{version} (admin).
func (c *Client) DeleteEngineVersion(ctx context.Context, version string) error {
	_, err := c.call(ctx, request{method: "DELETE", path: versionPath(version)}, nil)
	return err
}

func versionInput(v *orchestrator.EngineVersion) EngineVersionInput {
	enabled := v.Enabled
	return EngineVersionInput{Version: v.Version, ImageRef: v.ImageRef, Command: v.Command, Enabled: &enabled, Notes: v.Notes, SettingsSchema: v.SettingsSchema}
}

func versionPath(version string) string {
	return "/api/v1/engine-versions/" + url.PathEscape(version)
}
