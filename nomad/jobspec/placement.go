package jobspec

import (
	"slices"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/nomad/api"
)

// NodeIDAttribute is the node attribute placement constraints are written on: the
// node's unique ID, which is what orchestrator.Node.ID and Instance.NodeID carry.
const NodeIDAttribute = "${node.unique.id}"

// Placement is where one game's engine and volume may go: on Node when it is set,
// never on a node of Avoid. It comes from the orchestrator.EngineSpec (a transfer to a
// chosen node, or off a draining or lost one); the nomad driver adds to Avoid, for
// the volume only, the nodes that cannot take a new engine now (down, draining,
// ineligible), because Nomad places a volume on any node of the pool that meets its
// constraints, whatever its status.
type Placement struct {
	Node  string
	Avoid []string
}

// PlacementOf is the placement the spec asks for.
func PlacementOf(spec orchestrator.EngineSpec) Placement {
	return Placement{Node: spec.Node, Avoid: spec.AvoidNodes}
}

// Empty reports whether the placement says nothing.
func (p Placement) Empty() bool { return p.Node == "" && len(p.Avoid) == 0 }

// Allows reports whether a node of that ID satisfies the placement.
func (p Placement) Allows(nodeID string) bool {
	return (p.Node == "" || p.Node == nodeID) && !slices.Contains(p.Avoid, nodeID)
}

// Constraints renders the placement as constraints on the node's unique ID: one
// `= Node` when pinned (the avoided nodes then need no rule of their own, unless the
// pinned one is among them: a placement nothing satisfies, which Nomad reports), one
// `!= id` per avoided node otherwise, sorted and without repeats so the same
// placement always renders the same job. Plain attribute rules: a volume refuses
// distinct_hosts and distinct_property.
func (p Placement) Constraints() []*api.Constraint {
	var out []*api.Constraint
	if p.Node != "" {
		out = append(out, api.NewConstraint(NodeIDAttribute, "=", p.Node))
		if !slices.Contains(p.Avoid, p.Node) {
			return out
		}
	}
	avoid := slices.Clone(p.Avoid)
	slices.Sort(avoid)
	for _, id := range slices.Compact(avoid) {
		if id != "" {
			out = append(out, api.NewConstraint(NodeIDAttribute, "!=", id))
		}
	}
	return out
}

// IsPlacement reports whether a constraint is one Placement renders (so a job's
// placement can be told apart from the operator's constraints).
func IsPlacement(c *api.Constraint) bool {
	return c != nil && c.LTarget == NodeIDAttribute && (c.Operand == "=" || c.Operand == "!=")
}

// PlacementConstraints returns the placement constraints of a job, as rendered.
func PlacementConstraints(job *api.Job) []*api.Constraint {
	var out []*api.Constraint
	for _, c := range job.Constraints {
		if IsPlacement(c) {
			out = append(out, c)
		}
	}
	return out
}
