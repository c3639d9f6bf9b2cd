package bluesky

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vigie-project/vigie/config/secret"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// renewBefore renews an access token this long before it expires.
const renewBefore = 2 * time.Minute

// session holds the account's tokens (com.atproto.server.createSession,
// refreshed with refreshSession). Without an identifier requests go out
// without a token. Safe for concurrent use.
type session struct {
	c          *client
	identifier string
	password   secret.Secret

	mu          sync.Mutex
	access      string
	refresh     string
	accessExp   time.Time
	retryAt     time.Time // after a failed login, not before
	loginErr    error
	loginFailed int
}

// errLoginRefused is wrapped when the service refuses the credentials.
var errLoginRefused = errors.New("login refused: check identifier and app_password")

// token returns a valid access token, logging in or refreshing as needed;
// "" without an account.
func (ss *session) token(ctx context.Context) (string, error) {
	if ss.identifier == "" {
		return "", nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.c.s
	now := s.now()
	if ss.access != "" && now.Before(ss.accessExp.Add(-renewBefore)) {
		return ss.access, nil
	}
	if ss.refresh != "" {
		err := ss.call(ctx, "com.atproto.server.refreshSession", nil, ss.refresh)
		if err == nil {
			return ss.access, nil
		}
		var rl *httpsrc.RateLimitError
		if errors.As(err, &rl) {
			return "", err
		}
		s.log.Warn("session_refresh_failed", "error", err)
		ss.refresh = ""
	}
	if now.Before(ss.retryAt) {
		return "", ss.loginErr
	}
	body := map[string]string{"identifier": ss.identifier, "password": ss.password.Reveal()}
	err := ss.call(ctx, "com.atproto.server.createSession", body, "")
	if err == nil {
		ss.loginFailed, ss.loginErr = 0, nil
		s.log.Info("logged_in", "identifier", ss.identifier)
		return ss.access, nil
	}
	var rl *httpsrc.RateLimitError
	if errors.As(err, &rl) {
		return "", err
	}
	var se *statusError
	if errors.As(err, &se) && (se.Code == http.StatusUnauthorized || se.Code == http.StatusBadRequest) {
		err = fmt.Errorf("%w (%v)", errLoginRefused, err)
	}
	// Logins are rate limited (a few dozen per day): back off.
	ss.loginErr = fmt.Errorf("login as %s: %w", ss.identifier, err)
	ss.retryAt = now.Add(s.backoff(ss.loginFailed + 4))
	ss.loginFailed++
	return "", ss.loginErr
}

// expire drops an access token the service said was expired or invalid.
func (ss *session) expire(token string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.access == token {
		ss.access = ""
	}
}

// call runs createSession or refreshSession and keeps the tokens.
func (ss *session) call(ctx context.Context, nsid string, body any, bearer string) error {
	data, _, err := ss.c.do(ctx, http.MethodPost, nsid, "", body, bearer)
	if err != nil {
		return err
	}
	var out struct {
		AccessJwt  string `json:"accessJwt"`
		RefreshJwt string `json:"refreshJwt"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.AccessJwt == "" {
		return fmt.Errorf("%s: no accessJwt in the response", nsid)
	}
	ss.access, ss.refresh = out.AccessJwt, out.RefreshJwt
	now := ss.c.s.now()
	ss.accessExp = jwtExpiry(out.AccessJwt, now)
	return nil
}

// jwtExpiry reads the exp claim of a JWT, without checking its signature
// (the service does); a token without one is renewed after 30 minutes.
func jwtExpiry(tok string, now time.Time) time.Time {
	fallback := now.Add(30 * time.Minute)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return fallback
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return fallback
	}
	var claims struct {
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp <= 0 || claims.Exp > 1e11 {
		return fallback
	}
	return time.Unix(int64(claims.Exp), 0)
}
