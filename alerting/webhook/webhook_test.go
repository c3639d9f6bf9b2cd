package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/alerting/internal/channeltest"
)

const key = "s3cr3t-hmac-key"

var signedAt = time.Date(2015, 10, 5, 12, 41, 0, 0, time.UTC)

func newNotifier(t *testing.T, srv *channeltest.Server) *Notifier {
	t.Helper()
	n, err := New(Config{URL: alerting.Secret(srv.URL + "/hooks/vigie?token=s3cr3tQ"), Secret: key, Headers: map[string]string{"X-Team": "comms"}},
		alerting.WithName("soar"), alerting.WithHTTPClient(srv.Client()), alerting.WithClock(func() time.Time { return signedAt }))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignedPayload(t *testing.T) {
	srv := channeltest.NewServer(t)
	n := newNotifier(t, srv)
	note := channeltest.Sample()
	note.Drill = true
	if _, err := n.Notify(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	req := srv.Requests()[0]
	channeltest.Golden(t, "payload_fr_drill.json", req.Body)
	if req.Header.Get(HeaderTimestamp) != strconv.FormatInt(signedAt.Unix(), 10) || req.Header.Get("X-Team") != "comms" || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", req.Header)
	}
	if !strings.HasPrefix(req.Header.Get(HeaderSignature), "sha256=") || len(req.Header.Get(HeaderSignature)) != len("sha256=")+64 {
		t.Errorf("signature header = %q", req.Header.Get(HeaderSignature))
	}
	if err := Verify(req.Header, req.Body, signedAt.Add(time.Minute), 0, []byte(key)); err != nil {
		t.Fatalf("Verify of a fresh request: %v", err)
	}
	var p Payload
	if err := json.Unmarshal(req.Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Version != "1" || p.Notification.Key != note.Key || !p.Notification.Drill || !strings.HasPrefix(p.Title, "[EXERCICE]") || !strings.Contains(p.Text, "18× la normale") || p.EventID != req.Header.Get(HeaderEventID) {
		t.Errorf("payload = %+v", p)
	}

	// A retry of the same notification carries the same event id.
	if _, err := n.Notify(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	if srv.Requests()[1].Header.Get(HeaderEventID) != p.EventID {
		t.Error("event id changed on retry")
	}
}

func TestVerifyRejects(t *testing.T) {
	body := []byte(`{"version":"1"}`)
	good := http.Header{}
	good.Set(HeaderTimestamp, strconv.FormatInt(signedAt.Unix(), 10))
	good.Set(HeaderSignature, Sign([]byte(key), signedAt, body))

	if err := Verify(good, body, signedAt, time.Minute, []byte(key)); err != nil {
		t.Fatalf("good request: %v", err)
	}
	if err := Verify(good, body, signedAt.Add(6*time.Minute), 0, []byte(key)); !errors.Is(err, ErrStaleTimestamp) {
		t.Errorf("replayed 6 minutes later: %v, want ErrStaleTimestamp", err)
	}
	if err := Verify(good, body, signedAt.Add(-6*time.Minute), 0, []byte(key)); !errors.Is(err, ErrStaleTimestamp) {
		t.Errorf("timestamp in the future: %v, want ErrStaleTimestamp", err)
	}
	if err := Verify(good, []byte(`{"version":"2"}`), signedAt, 0, []byte(key)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered body: %v, want ErrBadSignature", err)
	}
	if err := Verify(good, body, signedAt, 0, []byte("other")); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong secret: %v", err)
	}
	if err := Verify(good, body, signedAt, 0, []byte("old"), []byte(key)); err != nil {
		t.Errorf("rotation (second secret matches): %v", err)
	}
	// Moving the timestamp without re-signing breaks the signature.
	moved := good.Clone()
	moved.Set(HeaderTimestamp, strconv.FormatInt(signedAt.Unix()+60, 10))
	if err := Verify(moved, body, signedAt, 0, []byte(key)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("moved timestamp: %v, want ErrBadSignature", err)
	}
	for _, h := range []http.Header{{}, {HeaderTimestamp: {"x"}, HeaderSignature: {"sha256=00"}}} {
		if err := Verify(h, body, signedAt, 0, []byte(key)); !errors.Is(err, ErrMissingSignature) {
			t.Errorf("headers %v: %v, want ErrMissingSignature", h, err)
		}
	}
	both := good.Clone()
	both.Set(HeaderSignature, "sha256=deadbeef, "+good.Get(HeaderSignature))
	if err := Verify(both, body, signedAt, 0, []byte(key)); err != nil {
		t.Errorf("several signatures, one good: %v", err)
	}
}

func TestErrorsAndConfig(t *testing.T) {
	srv := channeltest.NewServer(t,
		channeltest.Reply{Status: 429, Header: map[string]string{"Retry-After": "12"}},
		channeltest.Reply{Status: 400, Body: "bad /hooks/vigie?token=s3cr3tQ"},
	)
	n := newNotifier(t, srv)
	retry, err := n.Notify(context.Background(), channeltest.Sample())
	if d, _ := alerting.RetryDelay(err); !retry || d != 12*time.Second {
		t.Errorf("429: %v %v", retry, err)
	}
	retry, err = n.Notify(context.Background(), channeltest.Sample())
	if retry || err == nil || !strings.Contains(err.Error(), `webhook receiver "soar": HTTP 400`) {
		t.Errorf("400: %v %v", retry, err)
	}
	channeltest.NoSecret(t, "400 error", err.Error(), "s3cr3tQ")

	bad := []struct {
		cfg  Config
		want string
	}{
		{Config{Secret: "k"}, "url or url_file is required"},
		{Config{URL: "https://x/y"}, "secret or secret_file is required"},
		{Config{URL: "https://x/y", Secret: "k", Headers: map[string]string{"x-vigie-signature": "v"}}, "set by vigie"},
		{Config{URL: "https://x/y", Secret: "k", Headers: map[string]string{"Bad Header": "v"}}, "not a header name"},
	}
	for _, b := range bad {
		if err := b.cfg.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Validate = %v, want %q", err, b.want)
		}
	}
}

// Verify never accepts a signature it did not compute, whatever the headers.
func FuzzVerify(f *testing.F) {
	f.Add(strconv.FormatInt(signedAt.Unix(), 10), "sha256=00", []byte("{}"))
	f.Add(strconv.FormatInt(signedAt.Unix(), 10), Sign([]byte(key), signedAt, []byte("{}")), []byte("{}"))
	f.Add("-1", "sha256=,sha256=zz", []byte(""))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		err := Verify(h, body, signedAt, 0, []byte(key))
		if err != nil {
			return
		}
		secs, perr := strconv.ParseInt(ts, 10, 64)
		if perr != nil || !strings.Contains(strings.ToLower(sig), Sign([]byte(key), time.Unix(secs, 0), body)) {
			t.Fatalf("Verify accepted ts %q sig %q", ts, sig)
		}
	})
}
