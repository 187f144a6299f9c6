package nomad

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	consul "github.com/hashicorp/consul/api"
	"github.com/hashicorp/nomad/api"
)

const tagPrefix = "game-"

func gameTag(tags []string) string {
	for _, t := range tags {
		if strings.HasPrefix(t, tagPrefix) {
			return t
		}
	}
	return ""
}

// consulSource reads passing instances from Consul's health endpoint (fixture 13):
// passing=1 drops the instances Nomad registers ~8 s before the task runs, whose
// check is still critical (12, 12b).
type consulSource struct {
	health  consulHealthAPI
	service string
}

func (s *consulSource) backend() string { return backendConsul }

func (s *consulSource) instances(ctx context.Context, index uint64, wait time.Duration) ([]instance, uint64, bool, error) {
	q := (&consul.QueryOptions{WaitIndex: index, WaitTime: wait}).WithContext(ctx)
	entries, meta, err := s.health.Service(s.service, "", true, q)
	if err != nil {
		return nil, 0, false, err
	}
	var out []instance
	for _, e := range entries {
		if e.Service == nil {
			continue
		}
		tag := gameTag(e.Service.Tags)
		if tag == "" {
			continue
		}
		addr := e.Service.Address
		if addr == "" && e.Node != nil {
			addr = e.Node.Address
		}
		// No NodeID: Consul's node ID is its agent's own, not Nomad's (fixtures 10
		// and 13); the discovery asks Nomad for the allocation's node.
		out = append(out, instance{Tag: tag, AllocID: allocFromServiceID(e.Service.ID), Address: addr, Port: e.Service.Port, Index: e.Service.CreateIndex})
	}
	return out, meta.LastIndex, false, nil
}

// allocFromServiceID takes the allocation ID out of Nomad's Consul service ID,
// "_nomad-task-<alloc-id>-group-engine-galaxy-engine-http".
func allocFromServiceID(id string) string {
	const p = "_nomad-task-"
	if !strings.HasPrefix(id, p) || len(id) < len(p)+36 {
		return ""
	}
	return id[len(p) : len(p)+36]
}

// nativeSource reads Nomad's own service registrations. They carry no health
// (fixture 25), so each instance's check results are read from the allocation
// (26, 26a, 26b, 26d): not yet passing ones on every round (the loop then uses a short
// wait), passing ones once per refresh interval.
type nativeSource struct {
	services servicesAPI
	checks   checksAPI
	call     *caller
	service  string
	refresh  time.Duration
	clock    orchestrator.Clock

	mu     sync.Mutex
	health map[string]checked // by alloc ID
}

type checked struct {
	passing bool
	at      time.Time
}

func (s *nativeSource) backend() string { return backendNomad }

func (s *nativeSource) instances(ctx context.Context, index uint64, wait time.Duration) ([]instance, uint64, bool, error) {
	q := (&api.QueryOptions{WaitIndex: index, WaitTime: wait}).WithContext(ctx)
	regs, meta, err := s.services.Get(s.service, q)
	if err != nil {
		return nil, 0, false, err
	}
	s.mu.Lock()
	if s.health == nil {
		s.health = map[string]checked{}
	}
	s.mu.Unlock()
	var out []instance
	poll := false
	seen := map[string]bool{}
	for _, r := range regs {
		tag := gameTag(r.Tags)
		if tag == "" {
			continue
		}
		seen[r.AllocID] = true
		ok, err := s.passing(ctx, r.AllocID)
		if err != nil {
			return nil, 0, false, err
		}
		if !ok {
			poll = true
			continue
		}
		out = append(out, instance{Tag: tag, AllocID: r.AllocID, NodeID: r.NodeID, Address: r.Address, Port: r.Port, Index: r.CreateIndex})
	}
	s.mu.Lock()
	for id := range s.health {
		if !seen[id] {
			delete(s.health, id)
		}
	}
	s.mu.Unlock()
	return out, meta.LastIndex, poll, nil
}

func (s *nativeSource) passing(ctx context.Context, allocID string) (bool, error) {
	now := s.clock.Now()
	s.mu.Lock()
	c, ok := s.health[allocID]
	s.mu.Unlock()
	if ok && c.passing && now.Sub(c.at) < s.refresh {
		return true, nil
	}
	var res api.AllocCheckStatuses
	err := s.call.short(ctx, "read allocation checks", func(ctx context.Context) (err error) {
		res, err = s.checks.Checks(allocID, (&api.QueryOptions{}).WithContext(ctx))
		return err
	})
	if isNotFound(err) {
		// "Unknown allocation" a few ms after placement: not passing yet.
		return false, nil
	} else if err != nil {
		return false, err
	}
	pass := len(res) > 0
	for _, r := range res {
		if r.Status != "success" {
			pass = false
		}
	}
	s.mu.Lock()
	s.health[allocID] = checked{passing: pass, at: now}
	s.mu.Unlock()
	return pass, nil
}
