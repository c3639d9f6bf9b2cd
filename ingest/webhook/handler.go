package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/mention"
)

// Content types.
const (
	ContentTypeJSON   = "application/json"
	ContentTypeNDJSON = "application/x-ndjson"
)

// retryAfterSeconds is what a 503 tells the client to wait.
const retryAfterSeconds = 5

type metrics struct {
	requests     *prometheus.CounterVec
	records      *prometheus.CounterVec
	authFailures *prometheus.CounterVec
	duration     prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_webhook_requests_total", Help: "Webhook requests, by client and HTTP status code.",
		}, []string{"client", "code"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_webhook_records_total",
			Help: "Webhook records: accepted (published) and rejected (the bad record of a refused request).",
		}, []string{"client", "outcome"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_webhook_auth_failures_total", Help: "Webhook requests refused with 401, by reason.",
		}, []string{"reason"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "vigie_ingest_webhook_request_duration_seconds", Help: "Time to answer a webhook request.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
		}),
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	for _, c := range []prometheus.Collector{m.requests, m.records, m.authFailures, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("webhook: metrics: %w", err)
		}
	}
	return m, nil
}

// errorBody is the JSON of every refusal.
type errorBody struct {
	Error string `json:"error"`
	Index *int   `json:"index,omitempty"`
	Field string `json:"field,omitempty"`
}

// serve handles POST /ingest/v1/mentions.
func (s *Source) serve(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	clientName := "unknown"
	code := s.handle(w, r, &clientName)
	s.metrics.requests.WithLabelValues(clientName, strconv.Itoa(code)).Inc()
	s.metrics.duration.Observe(s.now().Sub(start).Seconds())
}

// handle answers the request and returns the status code sent.
func (s *Source) handle(w http.ResponseWriter, r *http.Request, clientName *string) int {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return reply(w, http.StatusMethodNotAllowed, errorBody{Error: "method not allowed: use POST"})
	}
	if !s.running() {
		return s.unavailable(w, "the webhook collector is not running")
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return reply(w, http.StatusRequestEntityTooLarge, errorBody{Error: s.tooLarge()})
	}

	// Bearer tokens are checked before the body is read; signatures need it.
	var cl *client
	token, hasToken := bearerToken(r)
	sigHeader := r.Header.Get(HeaderSignature)
	tsHeader := r.Header.Get(HeaderTimestamp)
	switch {
	case hasToken:
		var reason string
		if cl, reason = s.auth.checkBearer(token); cl == nil {
			return s.unauthorized(w, r, reason)
		}
	case sigHeader != "":
		if reason, ok := checkTimestamp(tsHeader, s.now(), s.cfg.TimestampTolerance); !ok {
			return s.unauthorized(w, r, reason)
		}
	default:
		return s.unauthorized(w, r, authMissing)
	}

	body, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return reply(w, http.StatusRequestEntityTooLarge, errorBody{Error: s.tooLarge()})
		}
		s.log.Info("webhook_body_read_failed", "error", err, "remote", r.RemoteAddr)
		return reply(w, http.StatusBadRequest, errorBody{Error: "could not read the body"})
	}
	if cl == nil {
		var reason string
		if cl, reason = s.auth.checkSignature(sigHeader, tsHeader, body); cl == nil {
			return s.unauthorized(w, r, reason)
		}
	}
	*clientName = cl.name

	ndjson, ok := contentType(r.Header.Get("Content-Type"))
	if !ok || (r.Header.Get("Content-Encoding") != "" && r.Header.Get("Content-Encoding") != "identity") {
		return reply(w, http.StatusUnsupportedMediaType, errorBody{
			Error: "content type must be " + ContentTypeJSON + " or " + ContentTypeNDJSON + " (UTF-8, not compressed)"})
	}

	now := s.now().UTC()
	d := decoder{cl: cl, now: now, lim: mention.Limits{MaxTextBytes: s.cfg.MaxTextBytes}, maxRecords: s.cfg.MaxRecords}
	var ms []*mention.Mention
	if ndjson {
		ms, err = d.decodeNDJSON(body)
	} else {
		ms, err = d.decodeJSON(body)
	}
	if err != nil {
		return s.refuse(w, cl, err)
	}
	return s.publish(w, r, cl, ms)
}

// refuse answers a request with a bad record or too many records.
func (s *Source) refuse(w http.ResponseWriter, cl *client, err error) int {
	if errors.Is(err, errTooManyRecords) {
		s.log.Info("webhook_request_refused", "client", cl.name, "error", "too many records", "max_records", s.cfg.MaxRecords)
		return reply(w, http.StatusRequestEntityTooLarge, errorBody{
			Error: fmt.Sprintf("more than %d records in one request: split the batch", s.cfg.MaxRecords)})
	}
	var re *RecordError
	if !errors.As(err, &re) {
		s.log.Error("webhook_request_refused", "client", cl.name, "error", err)
		return reply(w, http.StatusBadRequest, errorBody{Error: err.Error()})
	}
	s.metrics.records.WithLabelValues(cl.name, "rejected").Inc()
	s.log.Info("webhook_request_refused", "client", cl.name, "index", re.Index, "field", re.Field, "error", re.Reason)
	idx := re.Index
	return reply(w, http.StatusBadRequest, errorBody{Error: re.Error(), Index: &idx, Field: re.Field})
}

// publish puts every mention on the bus and flushes, one batch at a time;
// 202 only once all are stored.
func (s *Source) publish(w http.ResponseWriter, r *http.Request, cl *client, ms []*mention.Mention) int {
	pub, ok := s.publisher()
	if !ok {
		return s.unavailable(w, "the webhook collector is stopping")
	}
	defer s.inflight.Done()
	// Once publishing starts it goes to the end, even if the client hangs
	// up: a half-published batch would be retried anyway, but a finished
	// one need not be.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.cfg.PublishTimeout)
	defer cancel()
	select {
	case s.slot <- struct{}{}:
	case <-ctx.Done():
		return s.unavailable(w, "timed out waiting to publish")
	}
	err := func() error {
		defer func() { <-s.slot }()
		for _, m := range ms {
			if err := pub.Publish(ctx, m); err != nil {
				return fmt.Errorf("publish %s: %w", m.ID, err)
			}
		}
		if err := pub.Flush(ctx); err != nil {
			return fmt.Errorf("flush: %w", err)
		}
		return nil
	}()
	if err != nil {
		s.log.Error("webhook_publish_failed", "client", cl.name, "records", len(ms), "error", err)
		return s.unavailable(w, "could not store the records; retry later")
	}
	s.metrics.records.WithLabelValues(cl.name, "accepted").Add(float64(len(ms)))
	s.log.Debug("webhook_batch_accepted", "client", cl.name, "records", len(ms))
	return reply(w, http.StatusAccepted, struct {
		Accepted int `json:"accepted"`
	}{len(ms)})
}

func (s *Source) tooLarge() string {
	return fmt.Sprintf("the body is over the limit of %d bytes: split the batch", s.cfg.MaxBodyBytes)
}

func (s *Source) unauthorized(w http.ResponseWriter, r *http.Request, reason string) int {
	s.metrics.authFailures.WithLabelValues(reason).Inc()
	s.log.Warn("webhook_unauthorized", "reason", reason, "remote", r.RemoteAddr)
	w.Header().Set("WWW-Authenticate", `Bearer realm="vigie"`)
	return reply(w, http.StatusUnauthorized, errorBody{Error: "unauthorized"})
}

func (s *Source) unavailable(w http.ResponseWriter, msg string) int {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	return reply(w, http.StatusServiceUnavailable, errorBody{Error: msg})
}

// reply writes v as JSON with the status code, and returns the code.
func reply(w http.ResponseWriter, code int, v any) int {
	data, err := json.Marshal(v)
	if err != nil {
		data = []byte(`{"error":"internal error"}`)
		code = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(data, '\n'))
	return code
}

// contentType reports whether a Content-Type is accepted and whether it
// is NDJSON.
func contentType(h string) (ndjson, ok bool) {
	mt, params, err := mime.ParseMediaType(h)
	if err != nil {
		return false, false
	}
	if cs, has := params["charset"]; has && cs != "utf-8" && cs != "UTF-8" && cs != "utf8" {
		return false, false
	}
	switch mt {
	case ContentTypeJSON:
		return false, true
	case ContentTypeNDJSON, "application/ndjson", "application/jsonl":
		return true, true
	}
	return false, false
}

// readBody reads the body, at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, limit)
	size := int64(512)
	if r.ContentLength > 0 {
		size = r.ContentLength + 1
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
