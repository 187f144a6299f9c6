package nomad

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/api"
)

// scriptedNodes answers List from a script, recording each query's WaitIndex; past
// the script it blocks until the query's context ends.
type scriptedNodes struct {
	nodesAPI
	mu      sync.Mutex
	script  []nodeAnswer
	indexes []uint64
}

type nodeAnswer struct {
	index uint64
	nodes []*api.NodeListStub
	err   error
}

func (s *scriptedNodes) List(q *api.QueryOptions) ([]*api.NodeListStub, *api.QueryMeta, error) {
	s.mu.Lock()
	s.indexes = append(s.indexes, q.WaitIndex)
	if len(s.script) == 0 {
		s.mu.Unlock()
		<-q.Context().Done()
		return nil, nil, q.Context().Err()
	}
	a := s.script[0]
	s.script = s.script[1:]
	s.mu.Unlock()
	if a.err != nil {
		return nil, nil, a.err
	}
	return a.nodes, &api.QueryMeta{LastIndex: a.index}, nil
}

func stub(id, status string) *api.NodeListStub {
	return &api.NodeListStub{ID: id, Name: id, NodePool: "default", Datacenter: "dc1", Status: status, SchedulingEligibility: api.NodeSchedulingEligible}
}

// The node watch starts over from index 0 after a failed query and after an answer
// whose index went backwards (a restored cluster), and tells only of changes.
func TestWatchNodes_Index(t *testing.T) {
	d, err := NewDriver(Config{Address: "http://127.0.0.1:1", RetryBaseDelay: orchestrator.Duration(time.Millisecond),
		RetryMaxDelay: orchestrator.Duration(2 * time.Millisecond), WatchInterval: orchestrator.Duration(time.Microsecond)}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	a := []*api.NodeListStub{stub("n1", "ready")}
	b := []*api.NodeListStub{stub("n1", "down")}
	s := &scriptedNodes{script: []nodeAnswer{
		{index: 100, nodes: a},
		{err: errors.New("connection refused")},
		{index: 100, nodes: a},
		{index: 50, nodes: b},
		{index: 60, nodes: b},
	}}
	d.nodes = s
	if err := d.Open(); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var got [][]*orchestrator.Node
	done := make(chan error, 1)
	go func() {
		done <- d.WatchNodes(ctx, func(n []*orchestrator.Node) {
			got = append(got, n)
			if len(got) == 2 {
				// Once the script runs out, the watch waits on index 60.
				go func() {
					for {
						s.mu.Lock()
						n := len(s.indexes)
						s.mu.Unlock()
						if n == 6 {
							cancel()
							return
						}
						time.Sleep(time.Millisecond) // polling the stub, not synchronising the driver
					}
				}()
			}
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("WatchNodes: %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("WatchNodes did not end")
	}
	want := []uint64{0, 100, 0, 100, 0, 60}
	if len(s.indexes) != len(want) {
		t.Fatalf("wait indexes: got %v, want %v", s.indexes, want)
	}
	for i := range want {
		if s.indexes[i] != want[i] {
			t.Fatalf("wait indexes: got %v, want %v", s.indexes, want)
		}
	}
	if len(got) != 2 || got[0][0].Status != "ready" || got[1][0].Status != "down" {
		t.Errorf("news: got %d lists (%+v), want ready then down, once each", len(got), got)
	}
}
