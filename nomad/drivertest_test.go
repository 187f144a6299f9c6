package nomad_test

import (
	"testing"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/orchestrator/drivertest"
	"github.com/hashicorp/nomad/api"
)

// TestDriverContract runs the contract every orchestrator.Driver meets against the
// Nomad driver on the fake Nomad + Consul (the real galaxy-engine in each
// allocation). The integration build runs it against real agents.
func TestDriverContract(t *testing.T) {
	MustEngine(t)
	drivertest.Run(t, func(t *testing.T, observe orchestrator.InstanceObserver) *drivertest.Harness {
		srv := MustServer(t, nomadtest.Options{Nodes: []nomadtest.Node{{Name: "fake-1"}, {Name: "fake-2"}, {Name: "fake-3"}}})
		cfg := testConfig(srv)
		cfg.OnChange = observe
		d := MustOpen(t, cfg)
		nc := MustNomadClient(t, srv)
		return &drivertest.Harness{
			Driver:    d,
			Discovery: d,
			Other:     func(t *testing.T) orchestrator.Driver { return MustOpen(t, testConfig(srv)) },
			Version: func(v string) orchestrator.EngineVersion {
				return orchestrator.EngineVersion{Version: v, ImageRef: "galaxy-engine:" + v, Enabled: true}
			},
			Broken: func(v string) orchestrator.EngineVersion {
				ref := "galaxy-engine:" + v + "-broken"
				srv.SetEngine(ref, "")
				return orchestrator.EngineVersion{Version: v, ImageRef: ref, Enabled: true}
			},
			Invalid:      orchestrator.EngineVersion{Version: "0.1.0", Command: "/usr/local/bin/galaxy-engine"},
			InvalidField: "imageRef",
			Crash:        func(t *testing.T, in *orchestrator.Instance) { stopAlloc(t, nc, in) },
			Unplaceable: func(t *testing.T, spec orchestrator.EngineSpec) (orchestrator.Driver, string) {
				bad := testConfig(srv)
				bad.Constraints = []jobspec.Constraint{{Attribute: "${node.class}", Value: "galaxy-no-such-class"}}
				return MustOpen(t, bad), `"${node.class} = galaxy-no-such-class"`
			},
			NodeDown: func(t *testing.T, id string) {
				if err := srv.NodeDown(srv.NodeName(id)); err != nil {
					t.Fatal(err)
				}
			},
			NodeUp: func(t *testing.T, id string) {
				if err := srv.NodeUp(srv.NodeName(id)); err != nil {
					t.Fatal(err)
				}
			},
			MayDrain: true,
			Undrain: func(t *testing.T, id string) {
				if err := srv.Undrain(srv.NodeName(id)); err != nil {
					t.Fatal(err)
				}
			},
		}
	})
}

// stopAlloc stops the engine's allocation, as a lost node or an operator would: Nomad
// replaces it, with a new port, on the node of the sticky volume.
func stopAlloc(t *testing.T, nc *api.Client, in *orchestrator.Instance) {
	t.Helper()
	if in.AllocID == "" {
		t.Fatalf("instance %+v has no allocation", in)
	}
	if _, err := nc.Allocations().Stop(&api.Allocation{ID: in.AllocID}, nil); err != nil {
		t.Fatal(err)
	}
}
