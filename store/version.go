package store

import (
	"fmt"
	"slices"

	"github.com/Masterminds/semver/v3"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// EngineVersion implements orchestrator.Tx: the registry entry stored under exactly
// this version string. Errors: ENOTFOUND.
func (t *tx) EngineVersion(version string) (*orchestrator.EngineVersion, error) {
	var v orchestrator.EngineVersion
	if version == "" {
		return nil, notFound("engine version %q", version)
	}
	if ok, err := get(t.bucket(bucketEngineVersions), []byte(version), &v, "engine version "+version); err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound("engine version %s", version)
	}
	return &v, nil
}

// EngineVersions implements orchestrator.Tx: every registry entry, ascending by semver
// (so 1.10.0 follows 1.9.0, and 1.0.0-rc.1 precedes 1.0.0). Versions equal in semver
// (differing only in build metadata) are ordered by their strings.
func (t *tx) EngineVersions() ([]*orchestrator.EngineVersion, error) {
	type entry struct {
		v   *orchestrator.EngineVersion
		sem *semver.Version
	}
	var entries []entry
	err := t.bucket(bucketEngineVersions).ForEach(func(k, data []byte) error {
		var v orchestrator.EngineVersion
		if err := decode(data, &v, "engine version "+string(k)); err != nil {
			return err
		}
		// The key, not the value, is what PutEngineVersion validated and what lookups use.
		sem, err := semver.StrictNewVersion(string(k))
		if err != nil {
			return fmt.Errorf("store: corrupt engine version key %q: %w", k, err)
		}
		entries = append(entries, entry{&v, sem})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := a.sem.Compare(b.sem); c != 0 {
			return c
		}
		return cmpString(a.sem.Original(), b.sem.Original())
	})
	versions := make([]*orchestrator.EngineVersion, len(entries))
	for i, e := range entries {
		versions[i] = e.v
	}
	return versions, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// PutEngineVersion implements orchestrator.Tx: it creates or replaces the entry keyed
// by v.Version. It refuses a nil entry or a version that is not strict semver (the
// registry's order depends on it); the rest of Validate is the service's business.
func (t *tx) PutEngineVersion(v *orchestrator.EngineVersion) error {
	if err := t.writable("put engine version"); err != nil {
		return err
	} else if v == nil {
		return errInvalid("put engine version: nil version")
	} else if _, err := semver.StrictNewVersion(v.Version); err != nil {
		return errInvalid("put engine version: %q is not a semantic version: %w", v.Version, err)
	}
	return put(t.bucket(bucketEngineVersions), []byte(v.Version), v, "engine version "+v.Version)
}

// DeleteEngineVersion implements orchestrator.Tx. Errors: ENOTFOUND.
func (t *tx) DeleteEngineVersion(version string) error {
	if err := t.writable("delete engine version"); err != nil {
		return err
	}
	b := t.bucket(bucketEngineVersions)
	if version == "" || b.Get([]byte(version)) == nil {
		return notFound("engine version %q", version)
	}
	return del(b, []byte(version), "engine version "+version)
}
