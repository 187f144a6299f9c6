package local

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// roleEnv makes the test binary play another program when it re-executes itself:
// "engine" is a fake engine, "galaxyd" a mini galaxyd that starts one engine.
const roleEnv = "GALAXY_LOCAL_TEST_ROLE"

// Options of the fake engine, through its environment (Config.Env).
const (
	ignoreTermEnv   = "FAKE_ENGINE_IGNORE_TERM"   // "1": record SIGTERM but keep running
	failEnv         = "FAKE_ENGINE_FAIL"          // "1": print a message and exit 1 at once
	neverHealthyEnv = "FAKE_ENGINE_NEVER_HEALTHY" // "1": /healthz answers 503
)

// crashOnStart, present in the state dir, makes the fake engine exit at once.
const crashOnStart = "crash-on-start"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "engine":
		fakeEngine()
	case "galaxyd":
		fakeGalaxyd()
	default:
		os.Exit(runTests(m))
	}
}

// engineBinary is cmd/galaxy-engine, built once for the contract suite; "" when it
// does not build (the suite then skips, saying why).
var engineBinary, engineBuildErr = "", error(nil)

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "local-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "galaxy-engine")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/galaxy-orchestrator/galaxy/cmd/galaxy-engine").CombinedOutput(); err != nil {
		engineBuildErr = fmt.Errorf("%v: %s", err, out)
	} else {
		engineBinary = bin
	}
	return m.Run()
}

// fakeEngine serves the parts of the engine contract the driver uses and leaves
// traces in GAME_STATE_PATH for the tests: "starts" (one line per start), "token",
// "command" (its argv[0]), "environ" and "sigterm" (written on SIGTERM).
func fakeEngine() {
	dir := os.Getenv("GAME_STATE_PATH")
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "fake engine:", err)
			os.Exit(1)
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, "starts"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake engine:", err)
		os.Exit(1)
	}
	fmt.Fprintln(f, os.Getpid())
	f.Close()
	write("token", os.Getenv("GALAXY_ENGINE_ADMIN_TOKEN"))
	write("command", os.Args[0])
	write("environ", strings.Join(os.Environ(), "\n"))

	if _, err := os.Stat(filepath.Join(dir, crashOnStart)); err == nil {
		fmt.Fprintln(os.Stderr, "fake engine: refusing to start (crash-on-start)")
		os.Exit(2)
	}
	if os.Getenv(failEnv) == "1" {
		fmt.Fprintln(os.Stderr, "fake engine: cannot load state.json: corrupt")
		os.Exit(1)
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	go func() {
		for range sigs {
			write("sigterm", strconv.Itoa(os.Getpid()))
			if os.Getenv(ignoreTermEnv) != "1" {
				os.Exit(0)
			}
		}
	}()

	addr := os.Getenv("GALAXY_ENGINE_ADDR")
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake engine:", err)
		os.Exit(1)
	}
	fmt.Println("fake engine listening on", addr)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if os.Getenv(neverHealthyEnv) == "1" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /pid", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getpid())
	})
	mux.HandleFunc("POST /crash", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(os.Stderr, "fake engine: crashing as asked")
		os.Exit(3)
	})
	err = http.Serve(l, mux)
	fmt.Fprintln(os.Stderr, "fake engine:", err)
	os.Exit(1)
}

// fakeGalaxyd starts one engine (the fake) through a Driver on GALAXY_LOCAL_TEST_DATA,
// prints the engine's pid and then waits to be killed.
func fakeGalaxyd() {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake galaxyd:", err)
		os.Exit(1)
	}
	d := NewDriver(Config{
		DataDir: os.Getenv("GALAXY_LOCAL_TEST_DATA"),
		Env:     []string{roleEnv + "=engine"},
		Logger:  hclog.New(&hclog.LoggerOptions{Output: os.Stderr}),
	})
	if err := d.Open(); err != nil {
		fmt.Fprintln(os.Stderr, "fake galaxyd:", err)
		os.Exit(1)
	}
	id := uuid.New()
	spec := orchestrator.EngineSpec{GameID: id, Version: orchestrator.EngineVersion{Version: "1.0.0", Command: self}}
	if _, err := d.Start(context.Background(), spec); err != nil {
		fmt.Fprintln(os.Stderr, "fake galaxyd:", err)
		os.Exit(1)
	}
	pf, err := readPidfile(d.stateDir(id))
	if err != nil || pf == nil {
		fmt.Fprintln(os.Stderr, "fake galaxyd: no pidfile", err)
		os.Exit(1)
	}
	fmt.Println(pf.PID)
	time.Sleep(time.Hour) // the test kills us with SIGKILL
	fmt.Fprintln(os.Stderr, "fake galaxyd: not killed within an hour")
	os.Exit(1)
}
