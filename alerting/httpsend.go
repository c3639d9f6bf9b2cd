package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// UserAgent is sent by every HTTP channel.
const UserAgent = "vigie-alerting/1"

const (
	maxResponseBody = 64 << 10 // read at most this much of a response
	maxErrorDetail  = 200      // bytes of a response body quoted in an error
)

// HTTPError is a non-2xx answer from a service. Its message names the
// receiver and the status and quotes the start of the body with secrets
// redacted.
type HTTPError struct {
	Channel    string        // "slack", "pagerduty", …
	Receiver   string        // the receiver's name in the config
	StatusCode int           // HTTP status
	RetryAfter time.Duration // delay the service asked for (Retry-After); 0 if none
	Detail     string        // start of the response body, redacted
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s receiver %q: HTTP %d %s", e.Channel, e.Receiver, e.StatusCode, http.StatusText(e.StatusCode))
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %s", e.RetryAfter)
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// RetryDelay is the delay the service asked for, 0 if none.
func (e *HTTPError) RetryDelay() time.Duration { return e.RetryAfter }

// Retryable reports whether the status is worth retrying: 408, 429 and 5xx.
func (e *HTTPError) Retryable() bool { return RetryableStatus(e.StatusCode) }

// RetryableStatus reports whether an HTTP status is worth retrying.
func RetryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
}

// RetryDelay returns the delay a failed delivery was asked to wait before a
// new attempt (an HTTP Retry-After, Telegram's retry_after), if any.
func RetryDelay(err error) (time.Duration, bool) {
	var d interface{ RetryDelay() time.Duration }
	if errors.As(err, &d) && d.RetryDelay() > 0 {
		return d.RetryDelay(), true
	}
	return 0, false
}

// ParseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP date, relative to now. A date in the past gives 0.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 || secs > int64(24*time.Hour/time.Second) {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// SendError is a failure before any HTTP status was received (DNS,
// connection, TLS, timeout). Its message never contains the URL (webhook
// URLs and bot tokens are secrets) and any secret text is redacted.
type SendError struct {
	Channel  string
	Receiver string
	Err      error
	secrets  *redactor
}

func (e *SendError) Error() string {
	return e.secrets.redact(fmt.Sprintf("%s receiver %q: send: %v", e.Channel, e.Receiver, e.Err))
}

// redactor holds secrets behind a pointer (see Sealed) and removes them
// from text.
type redactor struct{ secrets []Secret }

func newRedactor(secrets []Secret) *redactor {
	r := &redactor{}
	for _, s := range secrets {
		r.secrets = append(r.secrets, secretParts(s)...)
	}
	return r
}

func (r *redactor) redact(s string) string {
	if r == nil {
		return s
	}
	return redact(s, r.secrets)
}

func (e *SendError) Unwrap() error { return e.Err }

// NewSendError wraps err for a receiver; its message redacts the secrets.
func NewSendError(channel, receiver string, err error, secrets ...Secret) *SendError {
	return &SendError{Channel: channel, Receiver: receiver, Err: err, secrets: newRedactor(secrets)}
}

// Response is what Sender.Post read back.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Sender posts to one receiver's service and classifies the answer once for
// every HTTP channel: retry on network errors, 408, 429 (with Retry-After)
// and 5xx; give up on other statuses.
type Sender struct {
	channel  string
	receiver string
	client   *http.Client
	now      func() time.Time
	secrets  *redactor
}

// NewSender returns a Sender for a receiver. secrets are redacted from every
// error it returns; for URL secrets their path and query are redacted too.
func NewSender(channel, receiver string, client *http.Client, now func() time.Time, secrets ...Secret) *Sender {
	return &Sender{channel: channel, receiver: receiver, client: client, now: now, secrets: newRedactor(secrets)}
}

// Redact removes the sender's secrets from s.
func (s *Sender) Redact(text string) string { return s.secrets.redact(text) }

// Post sends body to rawURL with the given headers (Content-Type included).
// A non-nil error means no response was received; it is a *SendError.
func (s *Sender) Post(ctx context.Context, rawURL string, header http.Header, body []byte) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		// The url package quotes the URL in its errors: do not wrap it.
		return nil, &SendError{Channel: s.channel, Receiver: s.receiver, Err: errors.New("invalid request URL"), secrets: s.secrets}
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("User-Agent", UserAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // drop "Post \"https://…\"": the URL may be secret
		}
		return nil, &SendError{Channel: s.channel, Receiver: s.receiver, Err: err, secrets: s.secrets}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return nil, &SendError{Channel: s.channel, Receiver: s.receiver, Err: fmt.Errorf("read response: %w", err), secrets: s.secrets}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody)) // let the connection be reused
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// PostJSON marshals v, posts it and classifies the answer.
func (s *Sender) PostJSON(ctx context.Context, rawURL string, header http.Header, v any) (retry bool, err error) {
	body, err := MarshalJSON(v)
	if err != nil {
		return false, fmt.Errorf("%s receiver %q: encode payload: %w", s.channel, s.receiver, err)
	}
	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Type", "application/json")
	resp, err := s.Post(ctx, rawURL, h, body)
	if err != nil {
		return true, err
	}
	return s.Check(resp)
}

// Check classifies a response: nil for 2xx; otherwise an *HTTPError and
// whether to retry.
func (s *Sender) Check(resp *Response) (retry bool, err error) {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	e := s.HTTPError(resp)
	return e.Retryable(), e
}

// HTTPError builds the error for a response, with its Retry-After.
func (s *Sender) HTTPError(resp *Response) *HTTPError {
	e := &HTTPError{
		Channel:    s.channel,
		Receiver:   s.receiver,
		StatusCode: resp.StatusCode,
		Detail:     s.detail(resp.Body),
	}
	if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), s.now()); ok {
		e.RetryAfter = d
	}
	return e
}

func (s *Sender) detail(body []byte) string {
	if len(body) > maxErrorDetail {
		body = body[:maxErrorDetail]
		for len(body) > 0 && !utf8.Valid(body) {
			body = body[:len(body)-1]
		}
	}
	d := strings.Join(strings.Fields(string(body)), " ")
	return s.Redact(d)
}

// secretParts returns the secret and, when it is a URL, the parts of it that
// a server may echo back on their own (path, query, password).
func secretParts(sec Secret) []Secret {
	if sec == "" {
		return nil
	}
	parts := []Secret{sec}
	u, err := url.Parse(sec.Reveal())
	if err != nil || u.Host == "" {
		return parts
	}
	if len(u.Path) >= 8 {
		parts = append(parts, Secret(u.Path), Secret(u.EscapedPath()))
	}
	if u.RawQuery != "" {
		parts = append(parts, Secret(u.RawQuery))
	}
	if p, ok := u.User.Password(); ok {
		parts = append(parts, Secret(p))
	}
	return parts
}

// CheckURL checks that raw is an absolute http or https URL. The error
// names the field, never the value: URLs often carry secrets.
func CheckURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: not an absolute http(s) URL", field)
	}
	return nil
}

// MarshalJSON encodes v without escaping <, > and & (payloads stay
// readable; services parse both forms).
func MarshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
