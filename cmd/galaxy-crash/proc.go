package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// engineProc is a live process running the run's engine binary.
type engineProc struct {
	PID, PPID int
	Start     uint64 // kernel start time: tells a recycled pid from the process seen
	Dir       string // working directory: the game's state directory
}

// engineProcs lists the live (non-zombie) processes whose executable is bin. The
// engine copy's path is unique to the run, so nothing else can match.
func engineProcs(bin string) []engineProc {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []engineProc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		base := filepath.Join("/proc", e.Name())
		exe, err := os.Readlink(filepath.Join(base, "exe"))
		if err != nil || strings.TrimSuffix(exe, " (deleted)") != bin {
			continue // zombies have no exe link, so they drop out here too
		}
		ppid, start, ok := procStat(pid)
		if !ok {
			continue
		}
		dir, _ := os.Readlink(filepath.Join(base, "cwd"))
		out = append(out, engineProc{PID: pid, PPID: ppid, Start: start, Dir: dir})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// alive reports whether p is still the same live process.
func (p engineProc) alive() bool {
	_, start, ok := procStat(p.PID)
	return ok && start == p.Start
}

// procStat reads the parent pid and start time of a live, non-zombie pid from
// /proc/<pid>/stat.
func procStat(pid int) (ppid int, start uint64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces or ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 20 || f[0][0] == 'Z' || f[0][0] == 'X' {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(string(f[1]))
	if err != nil {
		return 0, 0, false
	}
	start, err = strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return ppid, start, true
}

// twins returns the state directories on which more than one engine runs, each with
// its processes. A scan of /proc is not atomic (one engine may exit and the next
// start between two reads), so a directory counts only if every one of its processes
// is still alive after the whole scan: then they all ran at the same moment.
func twins(procs []engineProc) map[string][]engineProc {
	by := make(map[string][]engineProc)
	for _, p := range procs {
		if p.Dir != "" {
			by[p.Dir] = append(by[p.Dir], p)
		}
	}
	out := make(map[string][]engineProc)
	for dir, ps := range by {
		if len(ps) < 2 {
			continue
		}
		all := true
		for _, p := range ps {
			all = all && p.alive()
		}
		if all {
			out[dir] = ps
		}
	}
	return out
}
