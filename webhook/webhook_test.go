package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/webhook"
	"github.com/google/uuid"
)

func TestNotifier_Notify(t *testing.T) {
	ev := &orchestrator.Event{Seq: 7, ID: uuid.New(), Type: orchestrator.EventTurnGenerated, GameID: uuid.New(), Turn: 3}

	t.Run("OK", func(t *testing.T) {
		var got *http.Request
		var body []byte
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, body = r, must(io.ReadAll(r.Body))
			w.WriteHeader(204)
		}))
		defer srv.Close()
		n := &webhook.Notifier{URL: srv.URL, Secret: "s3cret", Now: func() time.Time { return time.Unix(1700000000, 0) }}
		if err := n.Notify(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		if got.Header.Get(webhook.HeaderEventID) != ev.ID.String() {
			t.Fatalf("event id header %q, want %s", got.Header.Get(webhook.HeaderEventID), ev.ID)
		}
		if !webhook.Verify("s3cret", "1700000000", body, got.Header.Get(webhook.HeaderSignature)) {
			t.Fatal("signature does not verify")
		}
		if webhook.Verify("other", "1700000000", body, got.Header.Get(webhook.HeaderSignature)) {
			t.Fatal("signature verifies with the wrong secret")
		}
		var back orchestrator.Event
		if err := json.Unmarshal(body, &back); err != nil || back.ID != ev.ID || back.Turn != 3 {
			t.Fatalf("body %s: %v", body, err)
		}
	})

	t.Run("ErrStatus", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
		defer srv.Close()
		err := (&webhook.Notifier{URL: srv.URL + "/hook?token=topsecret"}).Notify(context.Background(), ev)
		if err == nil || !strings.Contains(err.Error(), "500") {
			t.Fatalf("got %v, want an error naming 500", err)
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Fatalf("error leaks the URL's token: %v", err)
		}
	})

	t.Run("ErrUnreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL + "/?token=topsecret"
		srv.Close()
		err := (&webhook.Notifier{URL: url}).Notify(context.Background(), ev)
		if err == nil || strings.Contains(err.Error(), "topsecret") {
			t.Fatalf("got %v, want an error without the URL", err)
		}
	})
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
