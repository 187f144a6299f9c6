package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// complete runs the bash completion for words (the last one being completed).
func complete(t *testing.T, script string, words ...string) string {
	t.Helper()
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + w + "'"
	}
	cmd := exec.Command("bash", "-c", `source "$1"; COMP_WORDS=(galaxyctl `+strings.Join(quoted, " ")+`); COMP_CWORD=`+
		strconv.Itoa(len(words))+`; _galaxyctl; echo "${COMPREPLY[*]}"`, "bash", script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestCompletionBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	code, stdout, stderr := MustRun(t, nil, "completion", "bash")
	MustCode(t, code, exitOK, stdout, stderr)
	script := filepath.Join(t.TempDir(), "galaxyctl.bash")
	if err := os.WriteFile(script, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	for words, want := range map[string]string{
		"":                      "game op engine node orders report reconcile backup version completion -version -help",
		"ga":                    "game",
		"game st":               "status start stop state",
		"game list -":           "-addr -after -all -json -limit -node -paused -status -t -token",
		"game list -status run": "running",
		"engine ":               "add list status rm",
		"game start x -w":       "-wait",
		"orders submit x -":     "-addr -final -json -t -token -turn -user",
		"completion ":           "",
	} {
		if got := complete(t, script, strings.Split(words, " ")...); got != want {
			t.Errorf("complete %q: got %q, want %q", words, got, want)
		}
	}
}

func TestCompletionZsh(t *testing.T) {
	code, stdout, stderr := MustRun(t, nil, "completion", "zsh")
	MustCode(t, code, exitOK, stdout, stderr)
	for _, want := range []string{"#compdef galaxyctl\n", "compdef _galaxyctl galaxyctl\n", `" game status") leaf=1; opts=('-addr:The address of galaxyd, http(s)://host:port'`,
		`"") leaf=0; opts=('game:Create, inspect, watch and drive games'`, "'-wait:Follow the operation until it ends, showing its progress; exit 1 if it failed'"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the zsh script lacks %q", want)
		}
	}
	if _, err := exec.LookPath("zsh"); err == nil {
		script := filepath.Join(t.TempDir(), "_galaxyctl")
		if err := os.WriteFile(script, []byte(stdout), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("zsh", "-n", script).CombinedOutput(); err != nil {
			t.Fatalf("zsh -n: %v\n%s", err, out)
		}
	}
}
