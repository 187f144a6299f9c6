package http

import (
	"net/http"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/gorilla/mux"
)

// NodeList is the body of GET /api/v1/nodes.
type NodeList struct {
	Nodes []*orchestrator.Node `json:"nodes"`
}

// DrainRequest is the body of POST /api/v1/nodes/{node}/drain (optional): how long
// Nomad lets the node's allocations stay ("1h"; default Nomad's).
type DrainRequest struct {
	Deadline string `json:"deadline,omitempty"`
}

func (s *Server) nodeService(w http.ResponseWriter, r *http.Request) bool {
	if s.NodeService == nil {
		s.Error(w, r, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "this driver has no nodes (the local driver runs on one machine)"))
		return false
	}
	return true
}

// handleListNodes answers the cluster's nodes with their game counts (admin).
func (s *Server) handleListNodes(w http.ResponseWriter, r *http.Request) {
	if !s.nodeService(w, r) {
		return
	}
	nodes, err := s.NodeService.Nodes(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if nodes == nil {
		nodes = []*orchestrator.Node{}
	}
	writeJSON(w, http.StatusOK, NodeList{Nodes: nodes})
}

// handleDrainNode starts a Nomad drain of the node (admin): 202; galaxyd then moves the
// node's games off it, each as a transfer in its operation log.
func (s *Server) handleDrainNode(w http.ResponseWriter, r *http.Request) {
	if !s.nodeService(w, r) {
		return
	}
	var in DrainRequest
	if hasBody(r) {
		if err := decode(r, &in); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	var deadline time.Duration
	if in.Deadline != "" {
		d, err := time.ParseDuration(in.Deadline)
		if err != nil || d < 0 {
			s.Error(w, r, orchestrator.FieldErrorf("deadline", "deadline must be a duration such as 30m"))
			return
		}
		deadline = d
	}
	node := mux.Vars(r)["node"]
	if err := s.NodeService.Drain(r.Context(), node, deadline); err != nil {
		s.Error(w, r, err)
		return
	}
	s.requestLogger(r).Info("node drain started", "node_id", node)
	writeJSON(w, http.StatusAccepted, Status{Status: "draining"})
}
