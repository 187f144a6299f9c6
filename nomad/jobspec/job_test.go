package jobspec_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/nomad/api"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var gameID = uuid.MustParse("26a73626-cdc7-4f68-9183-2239320351fb")

const token = "engine-admin-token-0123456789abcdef"

func spec() orchestrator.EngineSpec {
	return orchestrator.EngineSpec{
		GameID: gameID,
		Version: orchestrator.EngineVersion{
			Version:  "0.1.0",
			ImageRef: "galaxy-engine:0.1.0",
			Command:  "/usr/local/bin/galaxy-engine",
			Enabled:  true,
		},
		AdminToken: token,
	}
}

func TestJob(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      jobspec.Config
		hostPath string
	}{
		{name: "default"},
		{name: "shared_volume", cfg: jobspec.Config{SharedVolume: "galaxy-state"}},
		{name: "exec", cfg: jobspec.Config{Driver: "exec", Command: "/usr/local/bin/galaxy-engine-{version}", EngineUID: new(1000), EngineGID: new(1000)}},
		{name: "raw_exec", cfg: jobspec.Config{Driver: "raw_exec", Discovery: "nomad"}, hostPath: "/opt/nomad/host_volumes/033a3472-2279-e8f3-9b1b-ce3c2e8967e7"},
		{name: "placement", cfg: jobspec.Config{
			Datacenters: []string{"eu-west-1a", "eu-west-1b"},
			Namespace:   "galaxy",
			NodePool:    "engines",
			Priority:    70,
			Stack:       "prod",
			Constraints: []jobspec.Constraint{
				{Attribute: "${node.class}", Value: "galaxy"},
				{Attribute: "${attr.kernel.name}", Operator: "=", Value: "linux"},
			},
			Spreads: []jobspec.Spread{{
				Attribute: "${node.datacenter}",
				Weight:    80,
				Targets:   []jobspec.SpreadTarget{{Value: "eu-west-1a", Percent: 50}, {Value: "eu-west-1b", Percent: 50}},
			}},
			CPU: 500, MemoryMB: 256, MemoryMaxMB: 512,
			ServiceTags:   []string{"galaxy"},
			Restart:       &jobspec.RestartPolicy{Attempts: 5, Interval: orchestrator.Duration(10 * time.Minute), Delay: orchestrator.Duration(5 * time.Second), Mode: "delay"},
			Reschedule:    &jobspec.ReschedulePolicy{Attempts: 3, Interval: orchestrator.Duration(time.Hour), Delay: orchestrator.Duration(10 * time.Second), DelayFunction: "constant"},
			KillTimeout:   orchestrator.Duration(time.Minute),
			ShutdownDelay: orchestrator.Duration(2 * time.Second),
			AutoRevert:    true,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job, err := jobspec.Job(tc.cfg, spec(), tc.hostPath)
			if err != nil {
				t.Fatal(err)
			}
			assertGolden(t, "job_"+tc.name+".json", job)
			assertInvariants(t, job)
		})
	}
}

// assertInvariants checks what DESIGN §5 promises whatever the config.
func assertInvariants(t *testing.T, job *api.Job) {
	t.Helper()
	if got, want := *job.ID, "galaxy-game-"+gameID.String(); got != want {
		t.Errorf("ID: got %q, want %q", got, want)
	}
	for k, v := range job.Meta {
		if strings.Contains(v, token) {
			t.Errorf("meta %s holds the admin token", k)
		}
	}
	if got, want := job.Meta[jobspec.MetaGameID], gameID.String(); got != want {
		t.Errorf("meta game id: got %q, want %q", got, want)
	}
	g := job.TaskGroups[0]
	if got, want := *g.Update.MaxParallel, 1; got != want {
		t.Errorf("max_parallel: got %d, want %d", got, want)
	}
	if got, want := *g.Update.Canary, 0; got != want {
		t.Errorf("canary: got %d, want %d", got, want)
	}
	if g.Migrate == nil || g.Migrate.MaxParallel == nil || *g.Migrate.MaxParallel != 0 {
		t.Errorf("migrate: got %+v, want max_parallel 0 (a drain leaves the engine to galaxyd)", g.Migrate)
	}
	if got, want := g.Tasks[0].Env[jobspec.EnvAdminToken], token; got != want {
		t.Errorf("token env: got %q, want %q", got, want)
	}
	if got, want := g.Services[0].Tags[0], "game-"+gameID.String(); got != want {
		t.Errorf("tag: got %q, want %q", got, want)
	}
}

// Node IDs of the placement tests.
const (
	nodeA = "7a144023-7934-9916-5dcc-ca2a2c6dbec1"
	nodeB = "0c4d9e6b-0f0e-3d4f-8c3b-6f1e2d3c4b5a"
)

// EngineSpec.Node and AvoidNodes become constraints on the node's unique ID, after the
// configured ones, in the built-in job and in a template's.
func TestJob_Placement(t *testing.T) {
	cfg := jobspec.Config{Constraints: []jobspec.Constraint{{Attribute: "${node.class}", Value: "galaxy"}}}
	t.Run("OKAvoid", func(t *testing.T) {
		s := spec()
		s.AvoidNodes = []string{nodeB, nodeA}
		job, err := jobspec.Job(cfg, s, "")
		if err != nil {
			t.Fatal(err)
		}
		assertGolden(t, "job_avoid_nodes.json", job)
		assertInvariants(t, job)
	})
	for _, tc := range []struct {
		name string
		p    jobspec.Placement
		want []string
	}{
		{"OKNone", jobspec.Placement{}, nil},
		{"OKNode", jobspec.Placement{Node: nodeA}, []string{"${node.unique.id} = " + nodeA}},
		{"OKNodeAvoidingOthers", jobspec.Placement{Node: nodeA, Avoid: []string{nodeB}}, []string{"${node.unique.id} = " + nodeA}},
		{"OKNodeAvoided", jobspec.Placement{Node: nodeA, Avoid: []string{nodeA}}, []string{"${node.unique.id} = " + nodeA, "${node.unique.id} != " + nodeA}},
		{"OKAvoidSortedOnce", jobspec.Placement{Avoid: []string{nodeB, "", nodeA, nodeB}}, []string{"${node.unique.id} != " + nodeB, "${node.unique.id} != " + nodeA}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range tc.p.Constraints() {
				if !jobspec.IsPlacement(c) {
					t.Errorf("constraint %+v is not a placement constraint", c)
				}
				got = append(got, c.LTarget+" "+c.Operand+" "+c.RTarget)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			for _, id := range []string{nodeA, nodeB} {
				want := (tc.p.Node == "" || tc.p.Node == id) && !slices.Contains(tc.p.Avoid, id)
				if got := tc.p.Allows(id); got != want {
					t.Errorf("Allows(%s): got %v, want %v", id, got, want)
				}
			}
		})
	}
	t.Run("OKTemplate", func(t *testing.T) {
		s := spec()
		s.Node = nodeA
		job := &api.Job{TaskGroups: []*api.TaskGroup{{Services: []*api.Service{{Tags: []string{orchestrator.ServiceTag(gameID)}}}}},
			Constraints: []*api.Constraint{api.NewConstraint("${node.class}", "=", "galaxy")}}
		job, err := jobspec.Finish(job, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		pc := jobspec.PlacementConstraints(job)
		if len(job.Constraints) != 2 || len(pc) != 1 || pc[0].Operand != "=" || pc[0].RTarget != nodeA {
			t.Errorf("constraints of a template's job: %+v, want the template's and ${node.unique.id} = %s", job.Constraints, nodeA)
		}
	})
}

func TestJob_Errors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  jobspec.Config
		mod  func(*orchestrator.EngineSpec)
	}{
		{name: "ErrNoImage", mod: func(s *orchestrator.EngineSpec) { s.Version.ImageRef = "" }},
		{name: "ErrNoCommand", cfg: jobspec.Config{Driver: "exec"}, mod: func(s *orchestrator.EngineSpec) { s.Version.Command = "" }},
		{name: "ErrRawExecNoHostPath", cfg: jobspec.Config{Driver: "raw_exec"}},
		{name: "ErrRawExecSharedNoPath", cfg: jobspec.Config{Driver: "raw_exec", SharedVolume: "s"}},
		{name: "ErrDriver", cfg: jobspec.Config{Driver: "podman"}},
		{name: "ErrDiscovery", cfg: jobspec.Config{Discovery: "dns"}},
		{name: "ErrMkdirParameter", cfg: jobspec.Config{VolumeParameters: map[string]string{"owner": "nobody"}}},
		{name: "ErrSpreadOver100", cfg: jobspec.Config{Spreads: []jobspec.Spread{{Attribute: "${node.datacenter}", Targets: []jobspec.SpreadTarget{{"a", 60}, {"b", 60}}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spec()
			if tc.mod != nil {
				tc.mod(&s)
			}
			_, err := jobspec.Job(tc.cfg, s, "")
			if got, want := orchestrator.ErrorCode(err), orchestrator.EINVALID; got != want {
				t.Fatalf("code: got %q, want %q (%v)", got, want, err)
			}
		})
	}
}

func TestHostVolume(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		v := jobspec.HostVolume(jobspec.Config{NodePool: "engines", Constraints: []jobspec.Constraint{{Attribute: "${node.class}", Value: "galaxy"}}}, gameID, jobspec.Placement{})
		assertGolden(t, "volume_default.json", v)
	})
	t.Run("OKPlacement", func(t *testing.T) {
		// Off two nodes (given twice, in any order): the same request every time.
		v := jobspec.HostVolume(jobspec.Config{Constraints: []jobspec.Constraint{{Attribute: "${node.class}", Value: "galaxy"}}}, gameID,
			jobspec.Placement{Avoid: []string{nodeB, nodeA, nodeB}})
		assertGolden(t, "volume_placement.json", v)
	})
	t.Run("OKStringParameters", func(t *testing.T) {
		// The mkdir plugin takes strings only (fixture 01): check the wire form too.
		b, err := json.Marshal(jobspec.HostVolume(jobspec.Config{EngineUID: new(0)}, gameID, jobspec.Placement{}))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(b), `"Parameters":{"gid":"65534","mode":"0700","uid":"0"}`; !strings.Contains(got, want) {
			t.Errorf("got %s, want it to contain %s", got, want)
		}
	})
}

func TestStatePath(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  jobspec.Config
		host string
		want string
	}{
		{"OKDocker", jobspec.Config{}, "", "/var/lib/galaxy-game"},
		{"OKShared", jobspec.Config{SharedVolume: "s"}, "", "/var/lib/galaxy-game/" + gameID.String()},
		{"OKRawExec", jobspec.Config{Driver: "raw_exec"}, "/h/v", "/h/v"},
		{"OKRawExecShared", jobspec.Config{Driver: "raw_exec", SharedVolume: "s", SharedVolumePath: "/srv/galaxy-state"}, "", "/srv/galaxy-state/" + gameID.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jobspec.StatePath(tc.cfg, gameID, tc.host)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// assertGolden compares v's indented JSON with testdata/name; -update rewrites it.
func assertGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./nomad/jobspec -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the rendering (go test ./nomad/jobspec -update rewrites it):\ngot:\n%s", path, got)
	}
}

// The point 10: `nomad job status` shows the Name, not the meta: the Name
// carries the engine version (and the stack), the ID stays galaxy-game-<uuid>.
func TestDisplayName(t *testing.T) {
	for _, tc := range []struct {
		cfg  jobspec.Config
		want string
	}{
		{jobspec.Config{}, "galaxy-game-26a73626-cdc7-4f68-9183-2239320351fb (engine 0.1.0)"},
		{jobspec.Config{Stack: "prod"}, "galaxy-game-26a73626-cdc7-4f68-9183-2239320351fb (engine 0.1.0, stack prod)"},
	} {
		job, err := jobspec.Job(tc.cfg, spec(), "")
		if err != nil {
			t.Fatal(err)
		}
		if *job.Name != tc.want || *job.ID != orchestrator.JobName(gameID) {
			t.Errorf("job ID %q name %q, want ID %q and name %q", *job.ID, *job.Name, orchestrator.JobName(gameID), tc.want)
		}
	}
}
