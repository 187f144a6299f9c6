package local

import (
	"os"
	"syscall"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/orchestrator/drivertest"
)

// TestDriverContract runs the contract every orchestrator.Driver meets against the
// local driver, with the real galaxy-engine.
func TestDriverContract(t *testing.T) {
	if engineBinary == "" {
		t.Skipf("cmd/galaxy-engine does not build: %v", engineBuildErr)
	}
	broken := script(t, t.TempDir(), `echo "cannot load state.json: corrupt" >&2; exit 1`)
	drivertest.Run(t, func(t *testing.T, observe orchestrator.InstanceObserver) *drivertest.Harness {
		dataDir := t.TempDir()
		d := MustOpenDriver(t, Config{DataDir: dataDir, OnChange: observe})
		return &drivertest.Harness{
			Driver:    d,
			Discovery: d,
			Other: func(t *testing.T) orchestrator.Driver {
				return MustOpenDriver(t, Config{DataDir: dataDir})
			},
			Version: func(v string) orchestrator.EngineVersion {
				return orchestrator.EngineVersion{Version: v, Command: engineBinary, Enabled: true}
			},
			Broken: func(v string) orchestrator.EngineVersion {
				return orchestrator.EngineVersion{Version: v, Command: broken, Enabled: true}
			},
			Invalid:      orchestrator.EngineVersion{Version: "0.1.0", Command: "bin/galaxy-engine"},
			InvalidField: "command",
			Crash: func(t *testing.T, in *orchestrator.Instance) {
				pid := enginePID(d, in.GameID)
				if pid == 0 {
					t.Fatalf("game %s runs no engine to crash", in.GameID)
				}
				if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			},
			// The local analogue of a placement failure: the game's state directory
			// cannot be had.
			Unplaceable: func(t *testing.T, spec orchestrator.EngineSpec) (orchestrator.Driver, string) {
				if err := os.WriteFile(d.stateDir(spec.GameID), []byte("not a directory"), 0o600); err != nil {
					t.Fatal(err)
				}
				return d, "is not a directory"
			},
		}
	})
}
