package twitter

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vigie-project/vigie/config/secret"
)

// go-twitter's base URLs are constants and its calls take no context.
// These RoundTrippers, innermost first, add what it lacks:
//
//	auth → rewrite → (bound: REST | streamConn: stream) → go-twitter
//
// rewrite points the library's hosts at the configured ones, auth signs
// the request as it will be sent, bound ties REST calls to the run's
// context with a timeout, streamConn turns one stream connection into
// exactly one HTTP request whose end go-twitter cannot retry on its own.

// Hosts go-twitter calls.
const (
	libAPIHost    = "api.twitter.com"
	libStreamHost = "stream.twitter.com"
)

// rewrite sends requests for the library's hosts to the configured base
// URLs: scheme and host replaced, the base path put in front.
type rewrite struct {
	next  http.RoundTripper
	hosts map[string]*url.URL
}

func newRewrite(next http.RoundTripper, apiURL, streamURL string) (*rewrite, error) {
	r := &rewrite{next: next, hosts: map[string]*url.URL{}}
	for host, raw := range map[string]string{libAPIHost: apiURL, libStreamHost: streamURL} {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(u.Host, host) && u.Scheme == "https" && strings.Trim(u.Path, "/") == "" {
			continue // the library's own
		}
		r.hosts[host] = u
	}
	return r, nil
}

func (t *rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	base, ok := t.hosts[strings.ToLower(req.URL.Host)]
	if !ok {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	u := *req.URL
	u.Scheme, u.Host = base.Scheme, base.Host
	if p := strings.TrimSuffix(base.Path, "/"); p != "" {
		u.Path = p + u.Path
		u.RawPath = ""
	}
	r.URL, r.Host = &u, ""
	return t.next.RoundTrip(r)
}

// auth adds the Authorization header: OAuth 1.0a when signer is set,
// else the app's bearer token.
type auth struct {
	next   http.RoundTripper
	signer *oauth1Signer
	bearer secret.Secret
}

func (t *auth) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if t.signer != nil {
		h, err := t.signer.authorize(r)
		if err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		}
		r.Header.Set("Authorization", h)
	} else {
		r.Header.Set("Authorization", "Bearer "+t.bearer.Reveal())
	}
	r.Header.Set("User-Agent", userAgent)
	return t.next.RoundTrip(r)
}

// bound gives go-twitter's context-less REST requests the run's context
// and a timeout. The timeout covers reading the body, which ends it.
type bound struct {
	next    http.RoundTripper
	ctx     context.Context
	timeout time.Duration
}

func (t *bound) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	stop := context.AfterFunc(t.ctx, cancel)
	release := func() { stop(); cancel() }
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: limitBody(resp.Body, maxBodyBytes), release: release}
	return resp, nil
}

type releaseBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// maxBodyBytes bounds a REST answer (a page of 100 tweets is well under 2 MiB).
const maxBodyBytes = 16 << 20

var errBodyTooLarge = errors.New("answer too large")

// limitBody fails reads past n bytes, so that a hostile endpoint cannot
// exhaust memory through the library's decoder.
func limitBody(rc io.ReadCloser, n int64) io.ReadCloser {
	return &limitedBody{rc: rc, left: n}
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }

// errStreamEnded is what streamConn answers when go-twitter tries to
// reconnect on its own: vigie decides when and how to reconnect.
var errStreamEnded = errors.New("stream connection ended")

// streamConn carries one statuses/filter connection. It sends the
// library's query parameters as a form body (Twitter asks for POST
// bodies: a long track list overflows a URL), turns a non-200 answer
// into an *httpsrc.HTTPError the library passes on, signals when the stream is
// up, and pushes the stall timer back at every byte received.
type streamConn struct {
	next  http.RoundTripper
	ctx   context.Context
	timer *time.Timer
	stall time.Duration
	up    chan struct{} // closed on 200

	mu   sync.Mutex
	used bool
}

func (c *streamConn) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	used := c.used
	c.used = true
	c.mu.Unlock()
	if used {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errStreamEnded
	}
	r := req.Clone(c.ctx)
	if r.Method == http.MethodPost && (r.Body == nil || r.Body == http.NoBody) && r.URL.RawQuery != "" {
		form := r.URL.RawQuery
		u := *r.URL
		u.RawQuery = ""
		r.URL = &u
		r.Body = io.NopCloser(strings.NewReader(form))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(form)), nil }
		r.ContentLength = int64(len(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, newHTTPError(endpointStream, resp, data)
	}
	close(c.up)
	c.timer.Reset(c.stall)
	resp.Body = &activityBody{ReadCloser: resp.Body, timer: c.timer, d: c.stall}
	return resp, nil
}

// activityBody pushes the stall timer back at every byte received
// (tweets and keep-alives alike).
type activityBody struct {
	io.ReadCloser
	timer *time.Timer
	d     time.Duration
}

func (a *activityBody) Read(p []byte) (int, error) {
	n, err := a.ReadCloser.Read(p)
	if n > 0 {
		a.timer.Reset(a.d)
	}
	return n, err
}
