package alerting

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30", 30 * time.Second, true},
		{" 0 ", 0, true},
		{"Mon, 09 Mar 2026 12:01:30 GMT", 90 * time.Second, true},
		{"Mon, 09 Mar 2026 11:00:00 GMT", 0, true}, // in the past: retry now
		{"", 0, false},
		{"-5", 0, false},
		{"soon", 0, false},
		{"99999999", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseRetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestSenderClassifies(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		status     int
		retryAfter string
		retry      bool
		delay      time.Duration
	}{
		{200, "", false, 0},
		{202, "", false, 0},
		{204, "", false, 0},
		{301, "", false, 0},
		{400, "", false, 0},
		{401, "", false, 0},
		{403, "", false, 0},
		{404, "", false, 0},
		{408, "", true, 0},
		{410, "", false, 0},
		{429, "7", true, 7 * time.Second},
		{429, "Mon, 09 Mar 2026 12:02:00 GMT", true, 2 * time.Minute},
		{500, "", true, 0},
		{502, "", true, 0},
		{503, "120", true, 2 * time.Minute},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("User-Agent") != UserAgent {
					t.Errorf("headers = %v", r.Header)
				}
				if c.retryAfter != "" {
					w.Header().Set("Retry-After", c.retryAfter)
				}
				w.WriteHeader(c.status)
				fmt.Fprint(w, "nope")
			}))
			defer srv.Close()
			s := NewSender("slack", "cm", srv.Client(), func() time.Time { return now })
			retry, err := s.PostJSON(context.Background(), srv.URL, nil, map[string]string{"text": "x"})
			if retry != c.retry {
				t.Errorf("retry = %v, want %v", retry, c.retry)
			}
			if c.status < 300 {
				if err != nil {
					t.Errorf("err = %v", err)
				}
				return
			}
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != c.status {
				t.Fatalf("err = %v, want *HTTPError with %d", err, c.status)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf(`slack receiver "cm": HTTP %d`, c.status)) || !strings.Contains(err.Error(), "nope") {
				t.Errorf("error %q does not name the receiver, the status and the reason", err)
			}
			d, ok := RetryDelay(err)
			if d != c.delay || ok != (c.delay > 0) {
				t.Errorf("RetryDelay = %v, %v; want %v", d, ok, c.delay)
			}
		})
	}
}

func TestSenderErrorsHideSecrets(t *testing.T) {
	// A server that echoes the request path, as some 404 pages do.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no route for "+r.URL.Path+"?"+r.URL.RawQuery, http.StatusNotFound)
	}))
	defer srv.Close()
	secretURL := Secret(srv.URL + "/services/T0001/B0002/s3cr3tT0k3n?token=s3cr3tQuery")
	s := NewSender("teams", "cm", srv.Client(), time.Now, secretURL)
	_, err := s.PostJSON(context.Background(), secretURL.Reveal(), nil, struct{}{})
	if err == nil || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "<secret>") {
		t.Errorf("404 error = %v; want the echoed path redacted", err)
	}

	// Nothing listens: the transport error must not quote the URL.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dead := Secret("http://" + addr + "/bot123456:s3cr3tBotToken/sendMessage")
	s = NewSender("telegram", "cell", &http.Client{Timeout: 5 * time.Second}, time.Now, dead, "123456:s3cr3tBotToken")
	retry, err := s.PostJSON(context.Background(), dead.Reveal(), nil, struct{}{})
	var se *SendError
	if !retry || !errors.As(err, &se) {
		t.Fatalf("connection refused: retry %v, err %v; want a retryable *SendError", retry, err)
	}
	if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "/bot") || !strings.Contains(err.Error(), `telegram receiver "cell"`) {
		t.Errorf("transport error = %q", err)
	}

	// A malformed URL must not be quoted either.
	_, err = s.PostJSON(context.Background(), "http://[::1/s3cr3t", nil, struct{}{})
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("bad URL error = %v", err)
	}
}
