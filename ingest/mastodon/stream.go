package mastodon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// endpointStream names the streaming endpoint in metrics.
const endpointStream = "streaming_hashtag"

// commitEvery bounds how many streamed statuses wait for a flush and a
// checkpoint; a quiet stream commits after each burst.
const commitEvery = 200

// errIdle ends a stream that sent nothing for StreamIdleTimeout.
var errIdle = errors.New("stream idle: no event nor heartbeat")

// streamLoop follows one hashtag with the streaming API. After each
// (re)connection it first reads the REST timeline from the checkpoint, so
// that what was posted while disconnected is not lost; then it publishes
// the stream's updates. When the streaming API refuses the request (a
// 4xx), the feed is polled instead for the rest of the run.
func (s *Source) streamLoop(ctx context.Context, in *instance, f *feed, pub *lockedPublisher) {
	attempt, connections := 0, 0
	for ctx.Err() == nil {
		resp, err := s.openStream(ctx, in, f)
		var se *statusError
		var rl *httpsrc.RateLimitError
		switch {
		case ctx.Err() != nil:
			return
		case errors.As(err, &se):
			s.log.Error("stream_unavailable_polling_instead", "feed", f.label, "error", err)
			s.pollForever(ctx, in, f, pub)
			return
		case errors.As(err, &rl):
			in.stream.block(ctx, rl.Until, f.label)
			continue
		case err != nil:
			// Read what the REST API has meanwhile: if it fails too, the
			// time not read is reported as a gap.
			s.log.Warn("stream_connect_failed", "feed", f.label, "error", err)
			if perr := s.pollFeed(ctx, in, f, pub); perr != nil && ctx.Err() == nil {
				s.log.Error("poll_failed", "feed", f.label, "error", perr)
			}
		default:
			if connections > 0 {
				s.met.Reconnects.Inc()
			}
			connections++
			delivered, rerr := s.followStream(ctx, in, f, resp, pub)
			if ctx.Err() != nil {
				return
			}
			if delivered {
				attempt = 0
			}
			s.log.Warn("stream_disconnected", "feed", f.label, "error", rerr)
		}
		d := s.backoff(attempt)
		attempt++
		s.met.Waited.WithLabelValues(endpointStream, "outage").Add(d.Seconds())
		if s.sleep(ctx, d) != nil {
			return
		}
	}
}

// pollForever polls one feed at the poll interval until ctx ends.
func (s *Source) pollForever(ctx context.Context, in *instance, f *feed, pub *lockedPublisher) {
	for {
		if err := s.pollFeed(ctx, in, f, pub); err != nil && ctx.Err() == nil {
			s.log.Error("poll_failed", "feed", f.label, "error", err)
		}
		if s.sleep(ctx, s.cfg.PollInterval) != nil {
			return
		}
	}
}

// openStream connects to the hashtag stream. The response is open (200,
// text/event-stream) when err is nil.
func (s *Source) openStream(ctx context.Context, in *instance, f *feed) (*http.Response, error) {
	c := in.stream
	if err := c.waitUnblocked(ctx, endpointStream); err != nil {
		return nil, err
	}
	path := "/api/v1/streaming/hashtag"
	if in.cfg.LocalOnly {
		path += "/local"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path+"?tag="+url.QueryEscape(f.name), nil)
	if err != nil {
		return nil, &statusError{Msg: err.Error()}
	}
	c.setHeaders(req, "text/event-stream")
	start := time.Now()
	resp, err := s.streamHTTP.Do(req)
	s.met.Duration.Observe(time.Since(start).Seconds())
	if err != nil {
		s.met.Requests.WithLabelValues(endpointStream, "error").Inc()
		return nil, &httpsrc.RetryError{Reason: "outage", Err: err}
	}
	s.met.Requests.WithLabelValues(endpointStream, strconv.Itoa(resp.StatusCode)).Inc()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := c.classify(resp, body, s.now()); err != nil {
			return nil, err
		}
		return nil, &statusError{Code: resp.StatusCode, Msg: "unexpected status for a stream"}
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		resp.Body.Close()
		return nil, &statusError{Code: resp.StatusCode, Msg: fmt.Sprintf("content type %q is not text/event-stream", mt)}
	}
	return resp, nil
}

// followStream catches up through the REST timeline, then reads the
// stream's events until it ends, goes idle or ctx is cancelled.
// delivered reports whether any event arrived.
func (s *Source) followStream(ctx context.Context, in *instance, f *feed, resp *http.Response, pub *lockedPublisher) (delivered bool, err error) {
	rctx, cancel := context.WithCancel(ctx)
	events := make(chan sseEvent, 64)
	done := make(chan error, 1)
	go func() {
		defer close(events)
		r := newSSEReader(resp.Body)
		for {
			ev, err := r.next()
			if err != nil {
				done <- err
				return
			}
			select {
			case events <- ev:
			case <-rctx.Done():
				done <- rctx.Err()
				return
			}
		}
	}()
	defer func() {
		cancel()
		resp.Body.Close()
		for range events { // let the reader finish
		}
	}()

	// The stream is open and buffers while the timeline is read.
	if err := s.pollFeed(ctx, in, f, pub); err != nil && ctx.Err() == nil {
		s.log.Error("poll_failed", "feed", f.label, "error", err)
	}

	idle := time.NewTimer(s.cfg.StreamIdleTimeout)
	defer idle.Stop()
	conv := converter{host: in.host}
	newest, pending := "", 0
	commit := func() {
		if pending == 0 {
			return
		}
		if err := s.commit(ctx, f, newest, pub); err != nil && ctx.Err() == nil {
			s.log.Error("checkpoint_failed", "feed", f.label, "error", err)
			return
		}
		pending = 0
	}
	for {
		select {
		case <-ctx.Done():
			return delivered, ctx.Err()
		case <-idle.C:
			commit()
			return delivered, errIdle
		case ev, ok := <-events:
			if !ok {
				commit()
				err := <-done
				if errors.Is(err, io.EOF) {
					err = errors.New("stream closed by the server")
				}
				return delivered, err
			}
			delivered = true
			idle.Reset(s.cfg.StreamIdleTimeout)
			id, err := s.handleEvent(ctx, conv, f, ev, pub)
			if err != nil {
				return delivered, err
			}
			if id != "" {
				pending++
				if newest == "" || newerID(id, newest) {
					newest = id
				}
			}
			if pending >= commitEvery || len(events) == 0 {
				commit()
			}
		}
	}
}

// handleEvent publishes an update; it returns the status id published,
// if any, and an error only when the publisher fails.
func (s *Source) handleEvent(ctx context.Context, conv converter, f *feed, ev sseEvent, pub *lockedPublisher) (string, error) {
	if ev.comment {
		s.met.StreamEvents.WithLabelValues("heartbeat").Inc()
		return "", nil
	}
	switch ev.name {
	case "update", "status.update":
		s.met.StreamEvents.WithLabelValues(ev.name).Inc()
	case "delete":
		// The bus has no deletion record; the status stays collected.
		s.met.StreamEvents.WithLabelValues(ev.name).Inc()
		s.met.Deletions.Inc()
		s.log.Debug("status_deleted", "feed", f.label, "id", ev.data)
		return "", nil
	default:
		s.met.StreamEvents.WithLabelValues("other").Inc()
		return "", nil
	}
	st, err := decodeStatus([]byte(ev.data))
	if err != nil {
		s.reject(f.label, "malformed", peekID([]byte(ev.data)), err)
		return "", nil
	}
	if !public(st) {
		s.met.Rejected.WithLabelValues("not_public").Inc()
		return "", nil
	}
	conv.now = s.now()
	if err := s.publish(ctx, pub, f.label, conv.mentions(st)); err != nil {
		return "", err
	}
	return string(st.ID), nil
}
