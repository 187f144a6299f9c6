package nomad_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/google/uuid"
)

// TestDockerTaskShape runs the default job's docker task for real: the engine image
// from the repository's Dockerfile, with exactly the image, environment, port and
// volume mount jobspec renders, through the Docker daemon, as a Nomad client would.
func TestDockerTaskShape(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image and runs a container; skipped with -short")
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		t.Skipf("no Docker daemon (docker info: %v): %s", err, firstLine(out))
	}
	// The image: a static engine binary copied into FROM scratch (Dockerfile).
	buildCtx := t.TempDir()
	bin := filepath.Join(buildCtx, "bin", "galaxy-engine")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "github.com/galaxy-orchestrator/galaxy/cmd/galaxy-engine")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("cmd/galaxy-engine does not build: %v: %s", err, out)
	}
	for _, f := range []string{"Dockerfile", ".dockerignore"} {
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(buildCtx, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	image := "galaxy-engine-test:" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	mustDocker(t, "build", "-q", "-t", image, buildCtx)
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", image).Run() })

	// The task as rendered.
	spec := newSpec("0.1.0")
	spec.Version.ImageRef = image
	job, err := jobspec.Job(jobspec.Config{}, spec, "")
	if err != nil {
		t.Fatal(err)
	}
	task := job.TaskGroups[0].Tasks[0]
	if got, want := task.Driver, "docker"; got != want {
		t.Fatalf("driver: got %q, want %q", got, want)
	}
	if got, want := task.Config["image"], image; got != want {
		t.Fatalf("image: got %v, want %q", got, want)
	}
	// Nomad's docker driver publishes the dynamic port on the same number inside.
	port := mustFreePort(t)
	args := []string{"run", "-d", "--name", "galaxy-shape-" + uuid.NewString()[:8], "-p", fmt.Sprintf("127.0.0.1:%d:%d", port, port)}
	for k, v := range task.Env {
		args = append(args, "-e", k+"="+strings.ReplaceAll(v, "${NOMAD_PORT_http}", strconv.Itoa(port)))
	}
	// The volume: a directory like the mkdir plugin's, mode 0700 owned by 65534.
	vol := filepath.Join(t.TempDir(), "volume")
	if err := os.Mkdir(vol, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(vol, 65534, 65534); err != nil {
		t.Skipf("cannot chown the volume to 65534 (not root?): %v", err)
	}
	for _, m := range task.VolumeMounts {
		args = append(args, "-v", vol+":"+*m.Destination)
	}
	container := strings.TrimSpace(mustDocker(t, append(args, image)...))
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", container).Run() })

	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	eventually(t, 30*time.Second, func() error {
		resp, err := http.Get(endpoint + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("healthz: %d", resp.StatusCode)
		}
		return nil
	})
	if st, b := call(t, "POST", endpoint+"/api/v1/admin/init", map[string]any{"races": []any{}}); st != http.StatusBadRequest {
		t.Errorf("init without gameId: got %d, want 400: %s", st, b)
	}
	MustInit(t, endpoint, spec.GameID)
	if st, b := call(t, "POST", endpoint+"/api/v1/admin/init", initBody(spec.GameID)); st != http.StatusConflict {
		t.Errorf("second init: got %d, want 409: %s", st, b)
	}
	if st, b := call(t, "POST", endpoint+"/api/v1/admin/turn", map[string]int{"turn": 1}); st != http.StatusOK {
		t.Errorf("turn 1: got %d, want 200: %s", st, b)
	}
	fi, err := os.Stat(filepath.Join(vol, "state.json"))
	if err != nil {
		t.Fatalf("state.json on the host volume: %v", err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 65534 || st.Gid != 65534 {
		t.Errorf("state.json owner: got %d:%d, want 65534:65534", st.Uid, st.Gid)
	}
}

func mustDocker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v: %s", args[0], err, out)
	}
	return string(out)
}

func mustFreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}
