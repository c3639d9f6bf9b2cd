package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-project/vigie/config/secret"
)

// Headers of a signed request.
const (
	HeaderSignature = "X-Vigie-Signature" // "sha256=<hex>"
	HeaderTimestamp = "X-Vigie-Timestamp" // Unix seconds
)

// Reasons a request is not authenticated, as counted in
// vigie_ingest_webhook_auth_failures_total. The client is only told 401.
const (
	authMissing      = "missing"
	authBadToken     = "bad_token"
	authBadSignature = "bad_signature"
	authBadTimestamp = "bad_timestamp"
	authStale        = "stale_timestamp"
)

// client is a configured client with its secret resolved.
type client struct {
	name    string
	source  string
	allowed []string // empty: any source
	digest  [sha256.Size]byte
	hmacKey []byte // nil for a bearer client
}

// authenticator checks credentials in constant time.
type authenticator struct {
	bearer []client
	signed []client
}

func newAuthenticator(clients []Client) (authenticator, error) {
	var a authenticator
	for i, cl := range clients {
		c := client{name: cl.Name, source: cl.Source, allowed: cl.AllowedSources}
		if cl.Token != "" || cl.TokenFile != "" {
			tok, err := secret.Resolve(fmt.Sprintf("clients[%d].token", i), cl.Token, cl.TokenFile)
			if err != nil {
				return a, err
			}
			if len(tok.Reveal()) < minSecretBytes {
				return a, fmt.Errorf("clients[%d].token: must be at least %d characters", i, minSecretBytes)
			}
			c.digest = sha256.Sum256([]byte(tok.Reveal()))
			a.bearer = append(a.bearer, c)
			continue
		}
		key, err := secret.Resolve(fmt.Sprintf("clients[%d].hmac_key", i), cl.HMACKey, cl.HMACKeyFile)
		if err != nil {
			return a, err
		}
		if len(key.Reveal()) < minSecretBytes {
			return a, fmt.Errorf("clients[%d].hmac_key: must be at least %d characters", i, minSecretBytes)
		}
		c.hmacKey = []byte(key.Reveal())
		a.signed = append(a.signed, c)
	}
	return a, nil
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	return strings.TrimSpace(h[7:]), true
}

// checkBearer finds the client of a token. Every client is compared, in
// constant time over digests, so neither the timing nor the length of the
// token tells anything.
func (a *authenticator) checkBearer(token string) (*client, string) {
	d := sha256.Sum256([]byte(token))
	var found *client
	for i := range a.bearer {
		if subtle.ConstantTimeCompare(d[:], a.bearer[i].digest[:]) == 1 && found == nil {
			found = &a.bearer[i]
		}
	}
	if found == nil {
		return nil, authBadToken
	}
	return found, ""
}

// checkTimestamp validates X-Vigie-Timestamp before the body is read.
func checkTimestamp(header string, now time.Time, tolerance time.Duration) (string, bool) {
	ts, err := strconv.ParseInt(strings.TrimSpace(header), 10, 64)
	if err != nil {
		return authBadTimestamp, false
	}
	// Sub saturates, so an absurd timestamp is merely stale.
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return authStale, false
	}
	return "", true
}

// checkSignature finds the client whose key signed timestamp + "." + body.
func (a *authenticator) checkSignature(header, timestamp string, body []byte) (*client, string) {
	sig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return nil, authBadSignature
	}
	want, err := hex.DecodeString(sig)
	if err != nil || len(want) != sha256.Size {
		return nil, authBadSignature
	}
	var found *client
	for i := range a.signed {
		if hmac.Equal(sign(a.signed[i].hmacKey, timestamp, body), want) && found == nil {
			found = &a.signed[i]
		}
	}
	if found == nil {
		return nil, authBadSignature
	}
	return found, ""
}

// sign returns HMAC-SHA256(key, timestamp + "." + body).
func sign(key []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.TrimSpace(timestamp)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the X-Vigie-Signature value of a body sent at ts, for
// clients written in Go and for tests.
func Sign(key []byte, ts time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	return timestamp, "sha256=" + hex.EncodeToString(sign(key, timestamp, body))
}
