package collectortest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sync"
	"testing"
)

// Reply is one scripted response.
type Reply struct {
	Status int
	Header map[string]string
	Body   string           // literal body, or
	File   string           // a testdata file
	Serve  http.HandlerFunc // or a handler (streams)
}

// Server replays scripted responses per "host path", in order; when a
// script is exhausted it answers 200 with the empty body given to
// NewServer. It records every request.
type Server struct {
	t       testing.TB
	srv     *httptest.Server
	empty   string
	header  map[string]string
	mu      sync.Mutex
	scripts map[string][]Reply
	reqs    []*http.Request
}

// NewServer starts a Server that answers empty once a script is exhausted
// and sets header (the platform's usual rate-limit headers, say) on every
// scripted response before the reply's own.
func NewServer(t testing.TB, empty string, header map[string]string) *Server {
	s := &Server{t: t, empty: empty, header: header, scripts: map[string][]Reply{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// Script queues replies for requests to hostPath ("host /path").
func (s *Server) Script(hostPath string, rs ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[hostPath] = append(s.scripts[hostPath], rs...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	key := r.Host + " " + r.URL.EscapedPath()
	s.mu.Lock()
	s.reqs = append(s.reqs, r.Clone(context.Background()))
	var rp Reply
	if q := s.scripts[key]; len(q) > 0 {
		rp, s.scripts[key] = q[0], q[1:]
	} else {
		rp = Reply{Body: s.empty}
	}
	s.mu.Unlock()
	if rp.Serve != nil {
		rp.Serve(w, r)
		return
	}
	body := []byte(rp.Body)
	if rp.File != "" {
		body = ReadFixture(s.t, rp.File)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	for k, v := range s.header {
		w.Header().Set(k, v)
	}
	for k, v := range rp.Header {
		w.Header().Set(k, v)
	}
	if rp.Status != 0 {
		w.WriteHeader(rp.Status)
	}
	w.Write(body)
}

// Queries returns the raw queries of the recorded requests to hostPath.
func (s *Server) Queries(hostPath string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.reqs {
		if r.Host+" "+r.URL.EscapedPath() == hostPath {
			out = append(out, r.URL.RawQuery)
		}
	}
	return out
}

// Requests returns every recorded request.
func (s *Server) Requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// Client sends every request to the test server, keeping the Host the
// collector asked for: the collector is configured with the real
// services' https URLs.
func (s *Server) Client() *http.Client {
	target, _ := url.Parse(s.srv.URL)
	base := s.srv.Client().Transport
	return &http.Client{Transport: RoundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Host = r.URL.Host
		r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
		return base.RoundTrip(r)
	})}
}

// RoundTripFunc is an http.RoundTripper.
type RoundTripFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f RoundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// ReadFixture reads testdata/name of the package under test.
func ReadFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
