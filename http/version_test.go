package http_test

import (
	"context"
	"net/http"
	"testing"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

func TestListVersions(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		s.EngineVersionService.EngineVersionsFn = func(context.Context) ([]*orchestrator.EngineVersion, error) {
			return []*orchestrator.EngineVersion{{Version: "1.0.0", Enabled: true}, {Version: "1.1.0"}}, nil
		}
		resp, body := s.Do(t, "GET", "/api/v1/engine-versions", nil)
		MustStatus(t, resp, body, http.StatusOK)
		if l := MustUnmarshal[ghttp.EngineVersionList](t, body); len(l.Versions) != 2 || l.Versions[1].Version != "1.1.0" {
			t.Fatalf("versions: got %s", body)
		}
	})
	t.Run("ErrInternal", func(t *testing.T) {
		s := MustOpenServer(t)
		s.EngineVersionService.EngineVersionsFn = func(context.Context) ([]*orchestrator.EngineVersion, error) {
			return nil, errBoom
		}
		resp, body := s.Do(t, "GET", "/api/v1/engine-versions", nil)
		MustError(t, resp, body, http.StatusInternalServerError, "internal", "")
	})
}

func TestCreateVersion(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		var got *orchestrator.EngineVersion
		s.EngineVersionService.CreateEngineVersionFn = func(_ context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
			got = v
			return v, nil
		}
		resp, body := s.Do(t, "POST", "/api/v1/engine-versions", `{"version":"1.2.3","command":"/usr/local/bin/galaxy-engine","notes":"first"}`)
		MustStatus(t, resp, body, http.StatusCreated)
		if got.Version != "1.2.3" || got.Command != "/usr/local/bin/galaxy-engine" || !got.Enabled || got.Notes != "first" {
			t.Fatalf("version: got %+v (enabled must default to true)", got)
		}
		if got, want := resp.Header.Get("Location"), "/api/v1/engine-versions/1.2.3"; got != want {
			t.Fatalf("Location: got %q, want %q", got, want)
		}
	})
	t.Run("Disabled", func(t *testing.T) {
		s := MustOpenServer(t)
		var got *orchestrator.EngineVersion
		s.EngineVersionService.CreateEngineVersionFn = func(_ context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
			got = v
			return v, nil
		}
		resp, body := s.Do(t, "POST", "/api/v1/engine-versions", `{"version":"1.2.3","imageRef":"x","enabled":false}`)
		MustStatus(t, resp, body, http.StatusCreated)
		if got.Enabled {
			t.Fatal("enabled: got true, want false")
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenServer(t)
		for body, field := range map[string]string{
			`{"command":"/x"}`:                      "version",
			`{"version":"1.2","command":"/x"}`:      "version",
			`{"version":"1.2.3","createdAt":"now"}`: "createdAt",
			`{"version":"1.2.3","enabled":"yes"}`:   "enabled",
		} {
			resp, b := s.Do(t, "POST", "/api/v1/engine-versions", body)
			MustError(t, resp, b, http.StatusBadRequest, "invalid", field)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := MustOpenServer(t)
		s.EngineVersionService.CreateEngineVersionFn = func(context.Context, *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
			return nil, &orchestrator.Error{Code: orchestrator.ECONFLICT, Field: "version", Message: "exists"}
		}
		resp, body := s.Do(t, "POST", "/api/v1/engine-versions", `{"version":"1.2.3","command":"/x"}`)
		MustError(t, resp, body, http.StatusConflict, "conflict", "version")
	})
}

func TestGetVersion(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		s.EngineVersionService.EngineVersionFn = func(_ context.Context, v string) (*orchestrator.EngineVersion, error) {
			return &orchestrator.EngineVersion{Version: v, ImageRef: "img"}, nil
		}
		resp, body := s.Do(t, "GET", "/api/v1/engine-versions/2.0.0-rc.1", nil)
		MustStatus(t, resp, body, http.StatusOK)
		if got := MustUnmarshal[orchestrator.EngineVersion](t, body).Version; got != "2.0.0-rc.1" {
			t.Fatalf("version: got %q", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenServer(t)
		s.EngineVersionService.EngineVersionFn = func(context.Context, string) (*orchestrator.EngineVersion, error) {
			return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "no version")
		}
		resp, body := s.Do(t, "GET", "/api/v1/engine-versions/9.9.9", nil)
		MustError(t, resp, body, http.StatusNotFound, "not_found", "")
	})
	t.Run("ErrMalformedVersion", func(t *testing.T) {
		s := MustOpenServer(t)
		for _, v := range []string{"latest", "v1.2.3", "1.2", "01.2.3"} {
			for _, method := range []string{"GET", "PUT", "DELETE"} {
				resp, body := s.Do(t, method, "/api/v1/engine-versions/"+v, `{}`)
				MustError(t, resp, body, http.StatusBadRequest, "invalid", "version")
			}
		}
	})
}

func TestPutVersion(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		var got *orchestrator.EngineVersion
		s.EngineVersionService.PutEngineVersionFn = func(_ context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
			got = v
			return v, nil
		}
		// The body's version may be left out; the path names it.
		resp, body := s.Do(t, "PUT", "/api/v1/engine-versions/1.2.3", `{"imageRef":"img:1.2.3","enabled":false}`)
		MustStatus(t, resp, body, http.StatusOK)
		if got.Version != "1.2.3" || got.ImageRef != "img:1.2.3" || got.Enabled {
			t.Fatalf("version: got %+v", got)
		}
	})
	t.Run("ErrVersionDiffers", func(t *testing.T) {
		s := MustOpenServer(t)
		resp, body := s.Do(t, "PUT", "/api/v1/engine-versions/1.2.3", `{"version":"9.9.9","imageRef":"img:1.2.3","enabled":true}`)
		MustError(t, resp, body, http.StatusBadRequest, "invalid", "version")
	})
	t.Run("ErrEnabledRequired", func(t *testing.T) {
		// A PUT replaces the record: leaving enabled out must not re-enable a version.
		s := MustOpenServer(t)
		resp, body := s.Do(t, "PUT", "/api/v1/engine-versions/1.2.3", `{"imageRef":"img:1.2.3"}`)
		MustError(t, resp, body, http.StatusBadRequest, "invalid", "enabled")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenServer(t)
		s.EngineVersionService.PutEngineVersionFn = func(_ context.Context, v *orchestrator.EngineVersion) (*orchestrator.EngineVersion, error) {
			return nil, v.Validate()
		}
		resp, body := s.Do(t, "PUT", "/api/v1/engine-versions/1.2.3", `{"enabled":true}`)
		MustError(t, resp, body, http.StatusBadRequest, "invalid", "imageRef")
		resp, body = s.Do(t, "PUT", "/api/v1/engine-versions/1.2.3", ``)
		MustError(t, resp, body, http.StatusBadRequest, "invalid", "")
	})
}

func TestDeleteVersion(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		var got string
		s.EngineVersionService.DeleteEngineVersionFn = func(_ context.Context, v string) error {
			got = v
			return nil
		}
		resp, body := s.Do(t, "DELETE", "/api/v1/engine-versions/1.2.3", nil)
		MustStatus(t, resp, body, http.StatusNoContent)
		if got != "1.2.3" {
			t.Fatalf("version: got %q", got)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := MustOpenServer(t)
		s.EngineVersionService.DeleteEngineVersionFn = func(context.Context, string) error {
			return orchestrator.Errorf(orchestrator.ECONFLICT, "in use")
		}
		resp, body := s.Do(t, "DELETE", "/api/v1/engine-versions/1.2.3", nil)
		MustError(t, resp, body, http.StatusConflict, "conflict", "")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenServer(t)
		s.EngineVersionService.DeleteEngineVersionFn = func(context.Context, string) error {
			return orchestrator.Errorf(orchestrator.ENOTFOUND, "no version")
		}
		resp, body := s.Do(t, "DELETE", "/api/v1/engine-versions/1.2.3", nil)
		MustError(t, resp, body, http.StatusNotFound, "not_found", "")
	})
}
