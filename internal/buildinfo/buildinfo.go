// Package buildinfo says which build of galaxyd, galaxyctl or galaxy-engine is running:
// its version, commit and build date, as `make build` stamps them with
//
//	-ldflags "-X github.com/galaxy-orchestrator/galaxy/internal/buildinfo.version=…
//	          -X github.com/galaxy-orchestrator/galaxy/internal/buildinfo.commit=…
//	          -X github.com/galaxy-orchestrator/galaxy/internal/buildinfo.date=…"
//
// and, for what the linker was not told, what the Go toolchain recorded in the binary
// (debug.ReadBuildInfo: the module version, vcs.revision, vcs.time, vcs.modified).
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by the linker (-X); empty in a plain `go build` or `go test`.
var (
	version string
	commit  string
	date    string
)

// Unknown is what a field reads when neither the linker nor the toolchain recorded it.
const Unknown = "unknown"

// Info is one binary's build.
type Info struct {
	// Version is a release ("0.3.0"), `git describe` output ("v0.3.0-4-gabc1234-dirty")
	// or "devel" for an unstamped build of a work tree.
	Version string `json:"version"`
	// Commit is the full VCS revision, with "-dirty" when the tree had local changes.
	Commit string `json:"commit"`
	// Date is the build date (make build) or the commit's time (toolchain), RFC 3339.
	Date string `json:"buildDate"`
	// Go is the toolchain that built the binary.
	Go string `json:"go"`
}

// Get returns the running binary's build: the linker's values first, then the
// toolchain's, then Unknown.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return resolve(version, commit, date, bi)
}

// resolve merges the linker's values with the toolchain's record (bi may be nil).
func resolve(ldVersion, ldCommit, ldDate string, bi *debug.BuildInfo) Info {
	info := Info{Version: ldVersion, Commit: ldCommit, Date: ldDate, Go: runtime.Version()}
	if bi != nil {
		if bi.GoVersion != "" {
			info.Go = bi.GoVersion
		}
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if info.Commit == "" && settings["vcs.revision"] != "" {
			info.Commit = settings["vcs.revision"]
			if settings["vcs.modified"] == "true" {
				info.Commit += "-dirty"
			}
		}
		if info.Date == "" {
			info.Date = settings["vcs.time"]
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	if info.Commit == "" {
		info.Commit = Unknown
	}
	if info.Date == "" {
		info.Date = Unknown
	}
	return info
}

// String renders the build the way `nomad version` does: the program and version on
// the first line, then the revision, the build date and the Go version.
func (i Info) String(program string) string {
	v := i.Version
	if v != "devel" && !strings.HasPrefix(v, "v") && v != "" && v[0] >= '0' && v[0] <= '9' {
		v = "v" + v
	}
	return fmt.Sprintf("%s %s\nRevision %s\nBuildDate %s\nGo %s\n", program, v, i.Commit, i.Date, i.Go)
}
