package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// sampleInterval is how often the monitor looks for two engines on one state
// directory. A twin lives at least as long as an engine takes to start (tens of
// milliseconds) and usually as long as a turn, so a few samples a second catch it.
const sampleInterval = 100 * time.Millisecond

// monitor watches the engine processes while galaxyd is killed and restarted.
type monitor struct {
	bin      string
	res      *Result
	reported map[string]bool // twin sets already reported; used by watch only
	children []engineProc    // engines of the daemon being killed; used by the kill loop only
}

// watch samples /proc until ctx ends and reports every set of engines that ran on
// the same state directory at the same moment: two engines writing one state.json is
// exactly what the pidfile and Pdeathsig exist to prevent (local/pidfile.go).
func (m *monitor) watch(ctx context.Context) {
	m.reported = make(map[string]bool)
	t := time.NewTicker(sampleInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.res.EngineSamples++
		for dir, ps := range twins(engineProcs(m.bin)) {
			var desc []string
			for _, p := range ps {
				desc = append(desc, fmt.Sprintf("pid %d (parent %d)", p.PID, p.PPID))
			}
			sort.Strings(desc)
			key := dir + strings.Join(desc, ",")
			if m.reported[key] {
				continue
			}
			m.reported[key] = true
			id, _ := uuid.Parse(dirBase(dir))
			m.res.violate(CheckTwin, id, "%d engines run on %s at once: %s", len(ps), dir, strings.Join(desc, ", "))
		}
	}
}

// killing notes the engines of the daemon about to be killed.
func (m *monitor) killing(daemon int) {
	m.children = m.children[:0]
	for _, p := range engineProcs(m.bin) {
		if p.PPID == daemon {
			m.children = append(m.children, p)
		}
	}
}

// restarted counts the engines of the killed daemon that still run once its
// successor is ready. They are not a violation by themselves (Pdeathsig sends them
// SIGTERM and they shut down gracefully; the successor terminates the stragglers
// through their pidfiles), but a high count says the first line of defence is weak.
func (m *monitor) restarted() {
	for _, p := range m.children {
		if p.alive() {
			m.res.Survivors++
		}
	}
}

func dirBase(dir string) string {
	if i := strings.LastIndexByte(dir, '/'); i >= 0 {
		return dir[i+1:]
	}
	return dir
}
