package xapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// API paths and the endpoint names used in metrics and errors.
const (
	pathSearch = "/2/tweets/search/recent"
	pathStream = "/2/tweets/search/stream"
	pathRules  = "/2/tweets/search/stream/rules"

	endpointSearch = "search_recent"
	endpointStream = "search_stream"
	endpointRules  = "stream_rules"
)

// Fields asked with every tweet, in search and stream alike.
const (
	expansions  = "author_id,referenced_tweets.id"
	tweetFields = "created_at,lang,public_metrics,entities,referenced_tweets,conversation_id,author_id,note_tweet"
	userFields  = "public_metrics,verified,username,name"
)

// maxBodyBytes bounds a REST answer read into memory (a page of 100
// tweets with their includes is well under 1 MiB).
const maxBodyBytes = 16 << 20

// userAgent names vigie to the API.
const userAgent = "vigie-ingest-xapi"

func (s *Source) newRequest(ctx context.Context, method, path string, q url.Values, body []byte) (*http.Request, error) {
	u := *s.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("x api: %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token.Reveal())
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// doJSON sends a REST request and decodes a 2xx answer into out. Other
// answers are an *httpsrc.HTTPError; an undecodable 2xx body wraps httpsrc.ErrMalformed.
func (s *Source) doJSON(ctx context.Context, endpoint, method, path string, q url.Values, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	req, err := s.newRequest(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.m.Requests.WithLabelValues(s.Name(), endpoint, "error").Inc()
		return fmt.Errorf("x api: %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	s.m.Requests.WithLabelValues(s.Name(), endpoint, strconv.Itoa(resp.StatusCode)).Inc()
	s.rate.Update(endpoint, resp.Header)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return fmt.Errorf("x api: %s: read body: %w", endpoint, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newHTTPError(endpoint, resp, data)
	}
	if len(data) > maxBodyBytes {
		return fmt.Errorf("x api: %s: %w: body over %d bytes", endpoint, httpsrc.ErrMalformed, maxBodyBytes)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("x api: %s: %w: %w", endpoint, httpsrc.ErrMalformed, err)
	}
	return nil
}

// problem is X's error document (RFC 7807 style), with the per-parameter
// messages of a 400.
type problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Type   string `json:"type"`
	Errors []struct {
		Message    string              `json:"message"`
		Parameters map[string][]string `json:"parameters"`
	} `json:"errors"`
}

func newHTTPError(endpoint string, resp *http.Response, body []byte) *httpsrc.HTTPError {
	e := &httpsrc.HTTPError{API: "x api", Endpoint: endpoint, Status: resp.StatusCode, RetryAfter: httpsrc.ParseRetryAfter(resp.Header)}
	if t, ok := httpsrc.ParseReset(resp.Header); ok {
		e.Reset = t
	}
	var p problem
	if json.Unmarshal(body, &p) == nil {
		e.Title, e.Detail = clip(p.Title, 200), clip(p.Detail, 500)
		for _, pe := range p.Errors {
			for k := range pe.Parameters {
				e.Params = append(e.Params, clip(k, 64))
			}
			if e.Detail == "" || e.Detail == "One or more parameters to your request was invalid." {
				e.Detail = clip(pe.Message, 500)
			}
		}
		slices.Sort(e.Params)
		e.Params = slices.Compact(e.Params)
	}
	if e.Title == "" {
		e.Title = http.StatusText(resp.StatusCode)
	}
	return e
}

// isParamError reports whether err is a 400 about parameter name.
func isParamError(err error, name string) bool {
	var he *httpsrc.HTTPError
	return errors.As(err, &he) && he.Status == http.StatusBadRequest && slices.Contains(he.Params, name)
}

// clip shortens s to n bytes at most, on a rune boundary, so that a
// hostile answer cannot flood the logs.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// call runs do until it succeeds, fails for good (a 4xx other than 429),
// or ctx ends. It honours the rate-limit headers of endpoint, waits as X
// asks on failures, and reports the time feed was not read as gaps.
func (s *Source) call(ctx context.Context, feed, endpoint string, do func(context.Context) error) error {
	var b httpsrc.Backoff
	var down httpsrc.Outage
	for {
		if w := s.rate.Wait(endpoint, s.now()); w > 0 {
			s.log.Info("rate_limit_pause", "endpoint", endpoint, "feed", feed, "wait_seconds", w.Seconds())
			s.m.Waited.WithLabelValues(s.Name(), endpoint, httpsrc.ReasonRateLimited).Add(w.Seconds())
			if err := s.sleep(ctx, w); err != nil {
				return err
			}
		}
		err := do(ctx)
		if err == nil {
			if g, ok := down.End(s.now(), s.Name(), feed); ok {
				s.gaps.Report(ctx, g)
			}
			return nil
		}
		if ctx.Err() != nil {
			if g, ok := down.End(s.now(), s.Name(), feed); ok {
				s.gaps.Report(ctx, g)
			}
			return ctx.Err()
		}
		kind := httpsrc.Classify(err)
		if kind == httpsrc.FailFatal {
			if g, ok := down.End(s.now(), s.Name(), feed); ok {
				s.gaps.Report(ctx, g)
			}
			return err
		}
		now := s.now()
		w := b.Next(kind, err, now)
		s.log.Warn("request_failed", "endpoint", endpoint, "feed", feed, "error", err, "retry_in_seconds", w.Seconds())
		s.m.Waited.WithLabelValues(s.Name(), endpoint, kind.Reason()).Add(w.Seconds())
		if kind == httpsrc.FailRateLimit {
			// The end of the wait is known: say so now.
			s.gaps.Report(ctx, ingest.Gap{Source: s.Name(), Feed: feed, From: now, To: now.Add(w), Reason: httpsrc.ReasonRateLimited})
		} else {
			down.Fail(now, kind.Reason())
		}
		if err := s.sleep(ctx, w); err != nil {
			if g, ok := down.End(s.now(), s.Name(), feed); ok {
				s.gaps.Report(ctx, g)
			}
			return err
		}
	}
}
