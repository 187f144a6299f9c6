package store_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

func newEngineVersion(version string) *orchestrator.EngineVersion {
	now := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	return &orchestrator.EngineVersion{
		Version: version, ImageRef: "galaxy/engine:" + version, Command: "/usr/local/bin/galaxy-engine",
		Enabled: true, Notes: "n", CreatedAt: now, UpdatedAt: now,
	}
}

func TestTx_EngineVersion(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenStore(t)
		want := newEngineVersion("1.2.3")
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutEngineVersion(want) })
		MustView(t, s, func(tx orchestrator.Tx) error {
			got, err := tx.EngineVersion("1.2.3")
			if err != nil {
				return err
			} else if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v, want %#v", got, want)
			}
			return nil
		})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenStore(t)
		MustView(t, s, func(tx orchestrator.Tx) error {
			for _, v := range []string{"9.9.9", ""} {
				if _, err := tx.EngineVersion(v); !isNotFound(err) {
					t.Fatalf("EngineVersion(%q): err=%v, want ENOTFOUND", v, err)
				}
			}
			if err := tx.DeleteEngineVersion("9.9.9"); err == nil {
				t.Fatal("DeleteEngineVersion inside View: want error")
			}
			return nil
		})
		MustUpdate(t, s, func(tx orchestrator.Tx) error {
			if err := tx.DeleteEngineVersion("9.9.9"); !isNotFound(err) {
				t.Fatalf("DeleteEngineVersion: err=%v, want ENOTFOUND", err)
			}
			return nil
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenStore(t)
		for _, v := range []*orchestrator.EngineVersion{nil, {}, {Version: "v1.2.3"}, {Version: "1.2"}} {
			if err := s.Update(t.Context(), func(tx orchestrator.Tx) error { return tx.PutEngineVersion(v) }); err == nil {
				t.Errorf("PutEngineVersion(%#v): want error", v)
			}
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := MustOpenStore(t)
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutEngineVersion(newEngineVersion("1.0.0")) })
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.DeleteEngineVersion("1.0.0") })
		MustView(t, s, func(tx orchestrator.Tx) error {
			if _, err := tx.EngineVersion("1.0.0"); !isNotFound(err) {
				t.Fatalf("err=%v, want ENOTFOUND", err)
			}
			return nil
		})
	})
}

func TestTx_EngineVersions(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenStore(t)
		// Byte order would put 1.10.0 before 1.9.0 and 1.0.0 before 1.0.0-rc.1.
		in := []string{"1.10.0", "1.9.0", "1.0.0", "1.0.0-rc.1", "0.9.12", "2.0.0", "1.9.0+build.1"}
		MustUpdate(t, s, func(tx orchestrator.Tx) error {
			for _, v := range in {
				if err := tx.PutEngineVersion(newEngineVersion(v)); err != nil {
					return err
				}
			}
			return nil
		})
		MustView(t, s, func(tx orchestrator.Tx) error {
			versions, err := tx.EngineVersions()
			if err != nil {
				return err
			}
			var got []string
			for _, v := range versions {
				got = append(got, v.Version)
			}
			if want := []string{"0.9.12", "1.0.0-rc.1", "1.0.0", "1.9.0", "1.9.0+build.1", "1.10.0", "2.0.0"}; !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			return nil
		})
	})

	t.Run("Empty", func(t *testing.T) {
		s := MustOpenStore(t)
		MustView(t, s, func(tx orchestrator.Tx) error {
			versions, err := tx.EngineVersions()
			if err != nil {
				return err
			} else if got, want := len(versions), 0; got != want {
				t.Fatalf("len=%d, want %d", got, want)
			}
			return nil
		})
	})
}
