//go:build integration

package nomad_test

import (
	"os"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/orchestrator/drivertest"
)

// TestIntegrationContract runs the contract every orchestrator.Driver meets against
// the Nomad driver on real agents (make test-nomad; see setupIntegration).
func TestIntegrationContract(t *testing.T) {
	it := setupIntegration(t)
	drivertest.Run(t, func(t *testing.T, observe orchestrator.InstanceObserver) *drivertest.Harness {
		cfg := it.cfg
		cfg.OnChange = observe
		d := MustOpen(t, cfg)
		invalid, field := orchestrator.EngineVersion{Version: "0.1.0", Command: "galaxy-engine"}, "command"
		if cfg.Driver == jobspec.DriverDocker {
			invalid, field = orchestrator.EngineVersion{Version: "0.1.0", Command: it.bin}, "imageRef"
		}
		return &drivertest.Harness{
			Driver:       d,
			Discovery:    d,
			Other:        func(t *testing.T) orchestrator.Driver { return MustOpen(t, it.cfg) },
			Version:      it.version,
			Broken:       it.brokenVersion,
			Invalid:      invalid,
			InvalidField: field,
			Crash:        func(t *testing.T, in *orchestrator.Instance) { stopAlloc(t, it.nc, in) },
			Unplaceable: func(t *testing.T, spec orchestrator.EngineSpec) (orchestrator.Driver, string) {
				bad := it.cfg
				bad.Constraints = []jobspec.Constraint{{Attribute: "${node.class}", Value: "galaxy-no-such-class"}}
				return MustOpen(t, bad), "galaxy-no-such-class"
			},
			// Draining a node of a shared dev agent would disturb whoever else uses
			// it: only on request.
			MayDrain: os.Getenv("GALAXY_TEST_NOMAD_DRAIN") == "1",
			Undrain: func(t *testing.T, id string) {
				if _, err := it.nc.Nodes().UpdateDrain(id, nil, true, nil); err != nil {
					t.Errorf("undrain %s: %v", id, err)
				}
			},
			Timeout: 3 * time.Minute,
		}
	})
}
