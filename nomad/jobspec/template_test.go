package jobspec_test

import (
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/nomad/api"
)

const tmpl = `job {{quote .JobID}} {
  datacenters = {{list .Datacenters}}
  group "engine" {
    network { port "http" {} }
    service {
      name = {{quote .ServiceName}}
      tags = [{{quote .ServiceTag}}]
      port = "http"
    }
    task "engine" {
      driver = "docker"
      config { image = {{quote .EngineRef}} }
      env {
        GAME_STATE_PATH           = {{quote .StatePath}}
        GALAXY_ENGINE_ADMIN_TOKEN = {{quote .AdminToken}}
      }
    }
  }
}
`

func TestFillTemplate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := spec()
		s.AdminToken = `a"b${c}`
		got, err := jobspec.FillTemplate(jobspec.Config{Template: tmpl}, s, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			`job "galaxy-game-` + gameID.String() + `"`,
			`datacenters = ["*"]`,
			`image = "galaxy-engine:0.1.0"`,
			`tags = ["game-` + gameID.String() + `"]`,
			`GALAXY_ENGINE_ADMIN_TOKEN = "a\"b$${c}"`,
		} {
			if !strings.Contains(got, want) {
				t.Errorf("got:\n%s\nwant it to contain %s", got, want)
			}
		}
	})
	t.Run("ErrUnknownField", func(t *testing.T) {
		_, err := jobspec.FillTemplate(jobspec.Config{Template: `job {{.Nope}} {}`}, spec(), "")
		if got, want := orchestrator.ErrorCode(err), orchestrator.EINVALID; got != want {
			t.Fatalf("code: got %q, want %q (%v)", got, want, err)
		}
	})
}

func TestFinish(t *testing.T) {
	parsed := func(meta map[string]string, tags ...string) *api.Job {
		return &api.Job{
			ID:   new("whatever"),
			Meta: meta,
			TaskGroups: []*api.TaskGroup{{
				Name:     new("engine"),
				Services: []*api.Service{{Name: "galaxy-engine", Tags: tags}},
			}},
		}
	}
	tag := orchestrator.ServiceTag(gameID)
	t.Run("OK", func(t *testing.T) {
		job, err := jobspec.Finish(parsed(map[string]string{"team": "a"}, tag), jobspec.Config{Stack: "prod"}, spec())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := *job.Name, orchestrator.JobName(gameID)+" (engine 0.1.0, stack prod)"; got != want {
			t.Errorf("name: got %q, want %q", got, want)
		}
		if got, want := *job.ID, orchestrator.JobName(gameID); got != want {
			t.Errorf("ID: got %q, want %q", got, want)
		}
		for k, want := range map[string]string{"team": "a", jobspec.MetaStack: "prod", jobspec.MetaEngineVersion: "0.1.0", jobspec.MetaGameID: gameID.String()} {
			if got := job.Meta[k]; got != want {
				t.Errorf("meta %s: got %q, want %q", k, got, want)
			}
		}
	})
	t.Run("ErrTokenInMeta", func(t *testing.T) {
		_, err := jobspec.Finish(parsed(map[string]string{"t": token}, tag), jobspec.Config{}, spec())
		if got, want := orchestrator.ErrorCode(err), orchestrator.EINVALID; got != want {
			t.Fatalf("code: got %q, want %q (%v)", got, want, err)
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("error leaks the token: %v", err)
		}
	})
	t.Run("ErrNoServiceTag", func(t *testing.T) {
		_, err := jobspec.Finish(parsed(nil, "other"), jobspec.Config{}, spec())
		if got, want := orchestrator.ErrorCode(err), orchestrator.EINVALID; got != want {
			t.Fatalf("code: got %q, want %q (%v)", got, want, err)
		}
	})
}
