package jobspec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/nomad/api"
)

// TemplateData is what an operator's HCL job template (Config.Template) can use, in
// text/template syntax: {{.JobID}}, {{quote .ImageRef}}, {{list .Datacenters}}, ...
// Every value is raw text; wrap strings in quote (an HCL string literal with escapes,
// ${ and %{ included) and lists in list. The result must keep a service with
// {{quote .ServiceTag}} on port "http", or discovery cannot find the engine.
type TemplateData struct {
	JobID         string
	GameID        string
	EngineVersion string
	// EngineRef is the image (docker) or binary (exec/raw_exec) to run.
	EngineRef   string
	Driver      string
	Args        []string
	Datacenters []string
	Namespace   string
	Region      string
	NodePool    string
	Stack       string
	// VolumeName is the volume's source: galaxy-game-<uuid>, or the shared volume.
	VolumeName string
	// VolumeHostPath is the dynamic volume's host path (for raw_exec); may be empty.
	VolumeHostPath string
	StateMount     string
	StatePath      string
	ServiceName    string
	ServiceTag     string
	Discovery      string
	// Meta is the job meta the driver enforces anyway (game id, version, stack).
	Meta map[string]string
	// AdminToken belongs in the task's env block only; a template that puts it in meta
	// is refused by Finish.
	AdminToken string
}

// NewTemplateData collects the template's values for one game.
func NewTemplateData(cfg Config, spec orchestrator.EngineSpec, hostPath string) (*TemplateData, error) {
	cfg = cfg.WithDefaults()
	ref, err := EngineRef(cfg, spec.Version)
	if err != nil {
		return nil, err
	}
	statePath, err := StatePath(cfg, spec.GameID, hostPath)
	if err != nil {
		return nil, err
	}
	d := &TemplateData{
		JobID:          orchestrator.JobName(spec.GameID),
		GameID:         spec.GameID.String(),
		EngineVersion:  spec.Version.Version,
		EngineRef:      ref,
		Driver:         cfg.Driver,
		Args:           cfg.Args,
		Datacenters:    cfg.Datacenters,
		Namespace:      cfg.Namespace,
		Region:         cfg.Region,
		NodePool:       cfg.NodePool,
		Stack:          cfg.Stack,
		VolumeName:     orchestrator.JobName(spec.GameID),
		VolumeHostPath: hostPath,
		StateMount:     StateMount,
		StatePath:      statePath,
		ServiceName:    cfg.ServiceName,
		ServiceTag:     orchestrator.ServiceTag(spec.GameID),
		Discovery:      cfg.Discovery,
		Meta:           Meta(cfg, spec),
		AdminToken:     spec.AdminToken,
	}
	if cfg.SharedVolume != "" {
		d.VolumeName = cfg.SharedVolume
	}
	return d, nil
}

// FillTemplate executes the operator's template for one game and returns HCL for the
// Nomad server to parse. Errors: EINVALID for a template that does not parse or run.
func FillTemplate(cfg Config, spec orchestrator.EngineSpec, hostPath string) (string, error) {
	d, err := NewTemplateData(cfg, spec, hostPath)
	if err != nil {
		return "", err
	}
	t, err := template.New("job").Option("missingkey=error").Funcs(template.FuncMap{
		"quote": QuoteHCL,
		"list":  listHCL,
	}).Parse(cfg.Template)
	if err != nil {
		return "", orchestrator.Errorf(orchestrator.EINVALID, "nomad job template: %v", err)
	}
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		// text/template errors quote the template, not the data: no token here.
		return "", orchestrator.Errorf(orchestrator.EINVALID, "nomad job template: %v", err)
	}
	return b.String(), nil
}

// QuoteHCL returns s as an HCL quoted string literal. Template sequences are escaped
// ($${, %%{) so a value is never interpolated by Nomad's parser.
func QuoteHCL(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "${", "$${", "%{", "%%{")
	return `"` + r.Replace(s) + `"`
}

func listHCL(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = QuoteHCL(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Finish makes a job parsed from an operator template one the driver can manage: its
// ID is galaxy-game-<uuid>, its name DisplayName's, and its meta carries the game id,
// engine version and stack, whatever the template said, and the spec's placement
// (Node, AvoidNodes) is added to its constraints. It refuses (EINVALID) a job that
// puts the admin token in meta or has no service tagged game-<uuid>.
func Finish(job *api.Job, cfg Config, spec orchestrator.EngineSpec) (*api.Job, error) {
	cfg = cfg.WithDefaults()
	id := orchestrator.JobName(spec.GameID)
	job.ID, job.Name = new(id), new(DisplayName(cfg, spec))
	if job.Meta == nil {
		job.Meta = map[string]string{}
	}
	maps.Copy(job.Meta, Meta(cfg, spec))
	job.Constraints = append(job.Constraints, PlacementOf(spec).Constraints()...)
	tag := orchestrator.ServiceTag(spec.GameID)
	tagged := false
	for _, g := range job.TaskGroups {
		if spec.AdminToken != "" && containsValue(g.Meta, spec.AdminToken) {
			return nil, orchestrator.Errorf(orchestrator.EINVALID, "nomad job template puts the engine admin token in group meta")
		}
		for _, s := range g.Services {
			tagged = tagged || slices.Contains(s.Tags, tag)
		}
		for _, t := range g.Tasks {
			if spec.AdminToken != "" && containsValue(t.Meta, spec.AdminToken) {
				return nil, orchestrator.Errorf(orchestrator.EINVALID, "nomad job template puts the engine admin token in task meta")
			}
			for _, s := range t.Services {
				tagged = tagged || slices.Contains(s.Tags, tag)
			}
		}
	}
	if spec.AdminToken != "" && containsValue(job.Meta, spec.AdminToken) {
		return nil, orchestrator.Errorf(orchestrator.EINVALID, "nomad job template puts the engine admin token in job meta")
	}
	if !tagged {
		return nil, orchestrator.Errorf(orchestrator.EINVALID, "nomad job template has no service tagged %s: discovery could not find the engine", tag)
	}
	return job, nil
}

func containsValue(m map[string]string, v string) bool {
	for _, x := range m {
		if strings.Contains(x, v) {
			return true
		}
	}
	return false
}

// String renders a short description for logs; it never includes the token.
func (d *TemplateData) String() string {
	return fmt.Sprintf("job %s version %s driver %s", d.JobID, d.EngineVersion, d.Driver)
}
