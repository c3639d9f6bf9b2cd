// Package channeltest holds what the channel packages' tests share: a
// recording HTTP server that answers as scripted, a sample notification and
// golden files (VIGIE_UPDATE_GOLDEN=1 rewrites them).
package channeltest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-project/vigie/alerting"
)

// Request is what the server received.
type Request struct {
	Method string
	Path   string // escaped path, query included
	Header http.Header
	Body   []byte
}

// Reply is one scripted answer.
type Reply struct {
	Status int
	Header map[string]string
	Body   string
}

// Server records requests and answers with the scripted replies in turn,
// then with Default.
type Server struct {
	*httptest.Server
	Default Reply

	mu      sync.Mutex
	replies []Reply
	reqs    []Request
}

// NewServer starts a recording server; it is closed when the test ends.
func NewServer(t testing.TB, replies ...Reply) *Server {
	s := &Server{replies: replies, Default: Reply{Status: http.StatusOK, Body: "ok"}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
	reply := s.Default
	if len(s.replies) > 0 {
		reply, s.replies = s.replies[0], s.replies[1:]
	}
	s.mu.Unlock()
	for k, v := range reply.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(reply.Status)
	_, _ = io.WriteString(w, reply.Body)
}

// Requests returns what was received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Sample is a French crisis open with everything set, at fixed times.
func Sample() *alerting.Notification {
	at := time.Date(2015, 10, 5, 12, 40, 0, 0, time.UTC) // 14:40 in Paris
	return &alerting.Notification{
		Key: "crisis/airfrance/42", Kind: alerting.KindCrisis, Status: alerting.StatusOpen,
		Watch: "airfrance", WatchName: "Air France", Severity: 4, Lang: alerting.LangFrench,
		Since: at.Add(-35 * time.Minute), At: at, Observed: 1240, Expected: 68.9, Score: 9.7,
		Signals:  []string{"volume", "negative_share"},
		TopTerms: []string{"#chemise", "DRH"},
		SamplePosts: []alerting.Post{
			{Author: "@journaliste", Followers: 125000, Text: "Le DRH d’Air France s’enfuit chemise arrachée <!channel> & *tous*", URL: "https://x.example/status/1"},
		},
		TopSpreaders:  []alerting.Spreader{{Handle: "@bfmtv", Followers: 2100000, Posts: 12}},
		EmployeeShare: 0.12,
		ConsoleURL:    "https://vigie.example/crises/42",
		AckURL:        "https://vigie.example/ack/42?t=abc",
	}
}

// Golden compares got with testdata/name; VIGIE_UPDATE_GOLDEN=1 writes it.
// JSON is compared indented, so the file stays readable.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	if json.Valid(got) {
		var b bytes.Buffer
		if err := json.Indent(&b, got, "", "  "); err == nil {
			got = append(b.Bytes(), '\n')
		}
	}
	path := filepath.Join("testdata", name)
	if os.Getenv("VIGIE_UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with VIGIE_UPDATE_GOLDEN=1 to create it)", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("payload differs from %s (VIGIE_UPDATE_GOLDEN=1 to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// NoSecret fails when s contains any of the secrets.
func NoSecret(t testing.TB, what, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("%s leaks a secret: %q", what, s)
		}
	}
}

// Decode unmarshals a JSON body into a generic map, failing the test.
func Decode(t testing.TB, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	return m
}
