package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// fakeViews is an orchestrator.ViewService of fixed answers.
type fakeViews struct{}

func (fakeViews) TurnFigures(_ context.Context, id uuid.UUID) ([]*orchestrator.TurnFigures, error) {
	if id != gameID {
		return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "no game %s", id)
	}
	return []*orchestrator.TurnFigures{{Turn: 0, Players: []engine.PlayerSummary{{RaceName: "Zorg", Planets: 1}}},
		{Turn: 1, Players: []engine.PlayerSummary{{RaceName: "Zorg", Planets: 2}}}}, nil
}

func (fakeViews) EngineState(context.Context, uuid.UUID) (json.RawMessage, error) {
	return json.RawMessage(`{"turn":1,"planets":[{"number":1}]}`), nil
}

// fakeArchive records what reaches the archive service.
type fakeArchive struct {
	calls    []string
	imported []byte
}

func (f *fakeArchive) Rollback(_ context.Context, id uuid.UUID, turn int, line *int, src orchestrator.Source) (*orchestrator.Operation, error) {
	l := "current"
	if line != nil {
		l = strconv.Itoa(*line)
	}
	f.calls = append(f.calls, "rollback "+strconv.Itoa(turn)+" line "+l)
	return newOperation(id, orchestrator.OpRollback, src), nil
}

func (f *fakeArchive) Transfer(_ context.Context, id uuid.UUID, node string, src orchestrator.Source) (*orchestrator.Operation, error) {
	f.calls = append(f.calls, "transfer to "+node)
	return newOperation(id, orchestrator.OpTransfer, src), nil
}

func (f *fakeArchive) Export(_ context.Context, id uuid.UUID, w io.Writer) error {
	_, err := io.WriteString(w, "tar of "+id.String())
	return err
}

func (f *fakeArchive) Import(_ context.Context, r io.Reader) (*orchestrator.GameView, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	f.imported = b
	return newGameView(gameID), nil
}

func TestClient_Views(t *testing.T) {
	s := NewServer(t)
	s.Server.ViewService = fakeViews{}
	MustOpen(t, s)
	c := MustClient(t, s, AdminToken)
	ctx := context.Background()
	turns, err := c.TurnFigures(ctx, gameID)
	if err != nil || len(turns) != 2 || turns[1].Players[0].Planets != 2 {
		t.Fatalf("turns: %+v %v", turns, err)
	}
	if _, err := c.TurnFigures(ctx, uuid.New()); orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
		t.Fatalf("turns of an unknown game: %v", err)
	}
	if st, err := c.EngineState(ctx, gameID); err != nil || string(st) != `{"turn":1,"planets":[{"number":1}]}` {
		t.Fatalf("state: %s %v", st, err)
	}
}

func TestClient_Archive(t *testing.T) {
	s := NewServer(t)
	fa := &fakeArchive{}
	s.Server.ArchiveService = fa
	MustOpen(t, s)
	c := MustClient(t, s, AdminToken)
	ctx := context.Background()
	line := 1
	if op, err := c.Rollback(ctx, gameID, 3, &line, ""); err != nil || op.Op != orchestrator.OpRollback || op.Source != orchestrator.SourceAdmin {
		t.Fatalf("rollback: %+v %v", op, err)
	}
	if _, err := c.Rollback(ctx, gameID, 2, nil, ""); err != nil {
		t.Fatalf("rollback on the current line: %v", err)
	}
	if _, err := c.Transfer(ctx, gameID, "node-2", ""); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	if _, err := c.Transfer(ctx, gameID, "", ""); err != nil {
		t.Fatalf("transfer anywhere: %v", err)
	}
	if got, want := strings.Join(fa.calls, ", "), "rollback 3 line 1, rollback 2 line current, transfer to node-2, transfer to "; got != want {
		t.Fatalf("calls: got %q, want %q", got, want)
	}
	var tar bytes.Buffer
	if err := c.Export(ctx, gameID, &tar); err != nil || tar.String() != "tar of "+gameID.String() {
		t.Fatalf("export: %q %v", tar.String(), err)
	}
	v, err := c.Import(ctx, strings.NewReader("a tar file"))
	if err != nil || v.ID != gameID || string(fa.imported) != "a tar file" {
		t.Fatalf("import: %+v %v, imported %q", v, err, fa.imported)
	}
	c.Token = LobbyToken
	if err := c.Export(ctx, gameID, io.Discard); orchestrator.ErrorCode(err) != orchestrator.EFORBIDDEN {
		t.Fatalf("export with the lobby token: %v", err)
	}
}
