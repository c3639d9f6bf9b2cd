package twitter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	gotwitter "github.com/dghubble/go-twitter/twitter"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// Endpoint names, in metrics and errors.
const (
	endpointSearch = "search_tweets"
	endpointLookup = "users_lookup"
	endpointStream = "statuses_filter"
)

// userAgent names vigie to the API.
const userAgent = "vigie-ingest-twitter"

// newHTTPError reads a v1.1 error answer: {"errors":[{"code":88,
// "message":"Rate limit exceeded"}]}, or any text.
func newHTTPError(endpoint string, resp *http.Response, body []byte) *httpsrc.HTTPError {
	e := &httpsrc.HTTPError{API: "twitter api", Endpoint: endpoint, Status: resp.StatusCode, RetryAfter: httpsrc.ParseRetryAfter(resp.Header)}
	if t, ok := httpsrc.ParseReset(resp.Header); ok {
		e.Reset = t
	}
	var ae gotwitter.APIError
	if json.Unmarshal(body, &ae) == nil && !ae.Empty() {
		e.Title = clip(ae.Errors[0].Message, 300)
		e.Detail = "code " + strconv.Itoa(ae.Errors[0].Code)
	}
	if e.Title == "" {
		e.Title = http.StatusText(resp.StatusCode)
	}
	return e
}

// libError turns what a go-twitter REST call returned into one error:
// an *httpsrc.HTTPError for any non-2xx answer (the library returns none for an
// empty body), httpsrc.ErrMalformed for a 2xx it could not decode, the transport
// error otherwise. partial is true when the body decoded with type
// errors only: the objects that did decode are usable.
func libError(endpoint string, resp *http.Response, err error) (e error, partial bool) {
	if resp != nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		he := &httpsrc.HTTPError{API: "twitter api", Endpoint: endpoint, Status: resp.StatusCode, RetryAfter: httpsrc.ParseRetryAfter(resp.Header)}
		if t, ok := httpsrc.ParseReset(resp.Header); ok {
			he.Reset = t
		}
		var ae gotwitter.APIError
		if errors.As(err, &ae) && !ae.Empty() {
			he.Title = clip(ae.Errors[0].Message, 300)
			he.Detail = "code " + strconv.Itoa(ae.Errors[0].Code)
		} else {
			he.Title = http.StatusText(resp.StatusCode)
		}
		return he, false
	}
	if err == nil {
		return nil, false
	}
	if resp != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return fmt.Errorf("twitter api: %s: %w", endpoint, err), true
		}
		if errors.Is(err, errBodyTooLarge) || isJSONError(err) {
			return fmt.Errorf("twitter api: %s: %w: %w", endpoint, httpsrc.ErrMalformed, err), false
		}
	}
	return fmt.Errorf("twitter api: %s: %w", endpoint, err), false
}

func isJSONError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF)
}

// call runs do until it succeeds, fails for good (a 4xx other than
// 420/429), or ctx ends. It honours the rate-limit headers of endpoint,
// waits as Twitter asks on failures, and reports the time feed was not
// read as gaps.
func (s *Source) call(ctx context.Context, feed, endpoint string, do func(context.Context) error) error {
	var b httpsrc.Backoff
	var down httpsrc.Outage
	for {
		if w := s.rate.Wait(endpoint, s.now()); w > 0 {
			s.log.Info("rate_limit_pause", "endpoint", endpoint, "feed", feed, "wait_seconds", w.Seconds())
			s.m.Waited.WithLabelValues(Name, endpoint, httpsrc.ReasonRateLimited).Add(w.Seconds())
			if err := s.sleep(ctx, w); err != nil {
				return err
			}
		}
		err := do(ctx)
		if err == nil || ctx.Err() != nil || classify(err) == httpsrc.FailFatal {
			if g, ok := down.End(s.now(), Name, feed); ok {
				s.gaps.Report(ctx, g)
			}
			if err == nil {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		kind := classify(err)
		now := s.now()
		w := b.Next(kind, err, now)
		s.log.Warn("request_failed", "endpoint", endpoint, "feed", feed, "error", err, "retry_in_seconds", w.Seconds())
		s.m.Waited.WithLabelValues(Name, endpoint, kind.Reason()).Add(w.Seconds())
		if kind == httpsrc.FailRateLimit {
			s.gaps.Report(ctx, ingest.Gap{Source: Name, Feed: feed, From: now, To: now.Add(w), Reason: httpsrc.ReasonRateLimited})
		} else {
			down.Fail(now, kind.Reason())
		}
		if err := s.sleep(ctx, w); err != nil {
			if g, ok := down.End(s.now(), Name, feed); ok {
				s.gaps.Report(ctx, g)
			}
			return err
		}
	}
}

// count records the answer of a REST call.
func (s *Source) count(endpoint string, resp *http.Response, err error) {
	code := "error"
	if resp != nil {
		code = strconv.Itoa(resp.StatusCode)
		s.rate.Update(endpoint, resp.Header)
	} else if err == nil {
		return
	}
	s.m.Requests.WithLabelValues(Name, endpoint, code).Inc()
}
