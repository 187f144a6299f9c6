package buildinfo

import (
	"os"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.4.1"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0c18431aa"}, {Key: "vcs.time", Value: "2026-11-30T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	for name, tc := range map[string]struct {
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Info
	}{
		"Linker": {"0.5.0", "abc", "2026-12-01T00:00:00Z", vcs,
			Info{Version: "0.5.0", Commit: "abc", Date: "2026-12-01T00:00:00Z", Go: "go1.26.8"}},
		"Toolchain": {"", "", "", vcs,
			Info{Version: "v0.4.1", Commit: "0c18431aa-dirty", Date: "2026-11-30T10:00:00Z", Go: "go1.26.8"}},
		"LinkerVersionOnly": {"0.5.0", "", "", vcs,
			Info{Version: "0.5.0", Commit: "0c18431aa-dirty", Date: "2026-11-30T10:00:00Z", Go: "go1.26.8"}},
		"Devel": {"", "", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			Info{Version: "devel", Commit: Unknown, Date: Unknown, Go: "go1.26.8"}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := resolve(tc.version, tc.commit, tc.date, tc.bi); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("NoBuildInfo", func(t *testing.T) {
		got := resolve("", "", "", nil)
		if got.Version != "devel" || got.Commit != Unknown || got.Date != Unknown || got.Go == "" {
			t.Fatalf("got %+v", got)
		}
	})
}

func TestString(t *testing.T) {
	got := Info{Version: "0.5.0", Commit: "abc", Date: "2026-12-01T00:00:00Z", Go: "go1.26.8"}.String("galaxyctl")
	if want := "galaxyctl v0.5.0\nRevision abc\nBuildDate 2026-12-01T00:00:00Z\nGo go1.26.8\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := (Info{Version: "v0.5.0-3-gabc"}).String("x"); !strings.HasPrefix(got, "x v0.5.0-3-gabc\n") {
		t.Fatalf("got %q", got)
	}
}

// TestMakefileStampsTheseVariables keeps `make build`'s -X flags and this package's
// variables one set of names.
func TestMakefileStampsTheseVariables(t *testing.T) {
	b, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	const pkg = "github.com/galaxy-orchestrator/galaxy/internal/buildinfo"
	m := regexp.MustCompile(`(?m)^BUILDINFO\s*:?=\s*(\S+)$`).FindStringSubmatch(string(b))
	if m == nil || m[1] != pkg {
		t.Fatalf("Makefile: BUILDINFO is %q, want %s", m, pkg)
	}
	found := map[string]bool{}
	for _, m := range regexp.MustCompile(`-X \$\(BUILDINFO\)\.(\w+)=`).FindAllStringSubmatch(string(b), -1) {
		found[m[1]] = true
	}
	for _, v := range []string{"version", "commit", "date"} {
		if !found[v] {
			t.Errorf("Makefile does not stamp %s.%s", pkg, v)
		}
	}
	for v := range found {
		switch v {
		case "version", "commit", "date":
		default:
			t.Errorf("Makefile stamps %s.%s, which does not exist", pkg, v)
		}
	}
}
