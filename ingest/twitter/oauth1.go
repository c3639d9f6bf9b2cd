package twitter

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-project/vigie/config/secret"
)

// OAuth 1.0a HMAC-SHA1 request signing (RFC 5849), as Twitter's v1.1 user
// context requires: the statuses/filter stream accepts nothing else.

// oauth1Credentials are the four values of a user-context app.
type oauth1Credentials struct {
	consumerKey, consumerSecret, token, tokenSecret secret.Secret
}

// oauth1Signer signs requests.
type oauth1Signer struct {
	creds oauth1Credentials
	now   func() time.Time
	nonce func() string
}

// maxSignedBody bounds a form body read to be signed.
const maxSignedBody = 1 << 20

// authorize returns the Authorization header value of req. A form body
// is read (and put back) because its parameters are signed too.
func (s *oauth1Signer) authorize(req *http.Request) (string, error) {
	params := url.Values{}
	for k, v := range req.URL.Query() {
		params[k] = append(params[k], v...)
	}
	if req.Body != nil && req.Body != http.NoBody && isForm(req.Header.Get("Content-Type")) {
		body, err := io.ReadAll(io.LimitReader(req.Body, maxSignedBody+1))
		req.Body.Close()
		if err != nil {
			return "", fmt.Errorf("oauth1: read body: %w", err)
		}
		if len(body) > maxSignedBody {
			return "", fmt.Errorf("oauth1: form body over %d bytes", maxSignedBody)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return "", fmt.Errorf("oauth1: form body: %w", err)
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	oauth := map[string]string{
		"oauth_consumer_key":     s.creds.consumerKey.Reveal(),
		"oauth_nonce":            s.nonce(),
		"oauth_signature_method": "HMAC-SHA1",
		"oauth_timestamp":        strconv.FormatInt(s.now().Unix(), 10),
		"oauth_token":            s.creds.token.Reveal(),
		"oauth_version":          "1.0",
	}
	for k, v := range oauth {
		params.Set(k, v)
	}
	oauth["oauth_signature"] = s.sign(req.Method, req.URL, params)
	keys := make([]string, 0, len(oauth))
	for k := range oauth {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("OAuth ")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `%s="%s"`, percentEncode(k), percentEncode(oauth[k]))
	}
	return b.String(), nil
}

// sign returns the base64 HMAC-SHA1 of the signature base string.
func (s *oauth1Signer) sign(method string, u *url.URL, params url.Values) string {
	key := percentEncode(s.creds.consumerSecret.Reveal()) + "&" + percentEncode(s.creds.tokenSecret.Reveal())
	mac := hmac.New(sha1.New, []byte(key))
	mac.Write([]byte(signatureBase(method, u, params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// signatureBase is METHOD&encoded base URL&encoded sorted parameters.
func signatureBase(method string, u *url.URL, params url.Values) string {
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range params {
		for _, v := range vs {
			pairs = append(pairs, kv{percentEncode(k), percentEncode(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var ps strings.Builder
	for i, p := range pairs {
		if i > 0 {
			ps.WriteByte('&')
		}
		ps.WriteString(p.k + "=" + p.v)
	}
	return strings.ToUpper(method) + "&" + percentEncode(baseURL(u)) + "&" + percentEncode(ps.String())
}

// baseURL is the URL without query nor fragment, scheme and host lower
// case, default ports left out.
func baseURL(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	if h, p, ok := strings.Cut(host, ":"); ok && (scheme == "http" && p == "80" || scheme == "https" && p == "443") {
		host = h
	}
	return scheme + "://" + host + u.EscapedPath()
}

// percentEncode is RFC 3986 encoding: everything but A-Z a-z 0-9 - . _ ~.
func percentEncode(s string) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String()
}

func isForm(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// randomNonce returns 32 hex characters from crypto/rand.
func randomNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}
