package stage

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/store/chtest"
)

func do(t *testing.T, method, u, contentType, accept, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// An ack over HTTP stops the escalation, tells everyone told, and is
// journaled; a second one is a conflict, an unknown key is not found.
func TestAckOverHTTPStopsEscalation(t *testing.T) {
	b, db, sv, clock := bustest.New(t), chtest.New(t), newServers(t), newFakeClock()
	w := watch(t, b)
	r := start(t, b, db, sv.config(t), clock)
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	publish(t, b, crisisEvent(key, "open", 4, clock.Now(), 1240))
	w.delivered(key, CauseEvent, "open")
	ackURL := AckURL(srv.URL, key)

	// The link in messages opens a confirm page; it does not acknowledge.
	code, body := do(t, http.MethodGet, ackURL, "", "text/html", "")
	if code != http.StatusOK || !strings.Contains(body, "Acquitter / Acknowledge") || !strings.Contains(body, `method="post"`) {
		t.Fatalf("GET ack page: %d\n%s", code, body)
	}
	code, body = do(t, http.MethodGet, srv.URL+"/api/v1/alerts", "", "", "")
	var list struct{ Alerts []Alert }
	if err := json.Unmarshal([]byte(body), &list); err != nil || code != http.StatusOK || len(list.Alerts) != 1 ||
		list.Alerts[0].Key != key || list.Alerts[0].Status != alerting.StatusOpen || list.Alerts[0].Summary != "Mention spike" {
		t.Fatalf("GET alerts: %d %v\n%s", code, err, body)
	}
	if code, body = do(t, http.MethodPost, ackURL, "application/json", "", `{"by": ""}`); code != http.StatusBadRequest {
		t.Errorf("ack without a name: %d %s", code, body)
	}

	// The confirm page's form.
	code, body = do(t, http.MethodPost, ackURL, "application/x-www-form-urlencoded", "text/html", url.Values{"by": {"Marie Dupont"}}.Encode())
	if code != http.StatusOK || !strings.Contains(body, "Acquittée par Marie Dupont") {
		t.Fatalf("form ack: %d\n%s", code, body)
	}
	if got := joined(w.delivered(key, CauseAck, "")); got != "cm-slack,oncall" {
		t.Fatalf("ack notices went to %s", got)
	}
	err := Ack(context.Background(), srv.URL, key, "paul", nil)
	if !errors.Is(err, ErrAlreadyAcknowledged) {
		t.Errorf("second ack: %v, want ErrAlreadyAcknowledged", err)
	}
	if code, body = do(t, http.MethodPost, ackURL, "application/json", "", `{"by": "paul"}`); code != http.StatusConflict || !strings.Contains(body, "Marie Dupont") {
		t.Errorf("second ack: %d %s", code, body)
	}
	if err := Ack(context.Background(), srv.URL, "nope/1", "paul", nil); !errors.Is(err, alerting.ErrUnknownThread) {
		t.Errorf("ack of an unknown key: %v", err)
	}
	if code, _ = do(t, http.MethodGet, AckURL(srv.URL, "nope/1"), "", "text/html", ""); code != http.StatusNotFound {
		t.Errorf("page of an unknown key: %d", code)
	}

	clock.Advance(time.Hour)
	r.tick(context.Background())
	if th, _ := r.eng.Thread(key); th.Level != 0 || th.Status != alerting.StatusAcknowledged {
		t.Errorf("after the ack: level %d, status %s", th.Level, th.Status)
	}
	r.stop()
	if n := len(sv.manager.Requests()); n != 0 {
		t.Errorf("manager paged %d times after the ack", n)
	}
	if n := db.Count(t, "SELECT count() FROM alerts WHERE action = 'acknowledged' AND actor = 'Marie Dupont' AND detail = 'via http'"); n != 1 {
		t.Errorf("journal: %d acknowledgements, want 1", n)
	}
}

// A process that does not run the stage serves the API by asking the one
// that does over NATS; with none running it answers 503.
func TestRemoteHandler(t *testing.T) {
	b, db, sv, clock := bustest.New(t), chtest.New(t), newServers(t), newFakeClock()
	remote := httptest.NewServer(RemoteHandler(b, nil))
	defer remote.Close()
	if code, body := do(t, http.MethodGet, remote.URL+"/api/v1/alerts", "", "", ""); code != http.StatusServiceUnavailable {
		t.Fatalf("no stage: %d %s", code, body)
	}
	w := watch(t, b)
	start(t, b, db, sv.config(t), clock)
	publish(t, b, crisisEvent(key, "open", 4, clock.Now(), 1240))
	w.delivered(key, CauseEvent, "open")

	code, body := do(t, http.MethodGet, remote.URL+"/api/v1/alerts", "", "", "")
	if code != http.StatusOK || !strings.Contains(body, key) {
		t.Fatalf("remote list: %d %s", code, body)
	}
	if err := Ack(context.Background(), remote.URL, key, "marie", nil); err != nil {
		t.Fatalf("remote ack: %v", err)
	}
	w.delivered(key, CauseAck, "")
	if err := Ack(context.Background(), remote.URL, key, "marie", nil); !errors.Is(err, ErrAlreadyAcknowledged) {
		t.Errorf("second remote ack: %v", err)
	}
	if code, _ := do(t, http.MethodGet, AckURL(remote.URL, "nope"), "", "text/html", ""); code != http.StatusNotFound {
		t.Errorf("remote page of an unknown key: %d", code)
	}
}
