package roster

import (
	"strings"

	"github.com/vigie-project/vigie/mention"
)

// Apply marks m from the roster, in place, without allocating:
//
//   - when the author's handle on m.Source belongs to an employee, it sets
//     m.Author.EmployeeID and m.Author.Region;
//   - when the post relays the company it sets m.RelayOfOfficial: a repost
//     or quote of an official account (read from an "RT @handle" prefix, or
//     from the first of m.Mentions when m.RepostOf or m.QuoteOf is set, where
//     collectors put the relayed author), or a link to a corporate domain or
//     one of its subdomains, in m.Links or written in m.Text. Look-alikes
//     (acme.com.evil.net, notacme.com, https://acme.com@evil.net) do not
//     count, and an official account's own posts are not relays.
//
// It never clears what is already set. A nil roster or mention is a no-op.
func Apply(r *Roster, m *mention.Mention) {
	if r == nil || m == nil {
		return
	}
	if e, ok := r.Employee(m.Source, m.Author.Handle); ok {
		m.Author.EmployeeID = e.ID
		if e.Region != "" {
			m.Author.Region = e.Region
		}
	}
	if !m.RelayOfOfficial && r.relays(m) {
		m.RelayOfOfficial = true
	}
}

// relays reports whether m relays an official account or links to a
// corporate domain.
func (r *Roster) relays(m *mention.Mention) bool {
	if len(r.off) > 0 {
		if r.IsOfficial(m.Source, m.Author.Handle) {
			return false
		}
		if h, ok := relayedHandle(m); ok && r.IsOfficial(m.Source, h) {
			return true
		}
	}
	if len(r.domains) == 0 {
		return false
	}
	for _, l := range m.Links {
		if r.corporateHost(hostOf(l)) {
			return true
		}
	}
	for text := m.Text; ; {
		i := indexURL(text)
		if i < 0 {
			return false
		}
		text = text[i:]
		end := strings.IndexAny(text, " \t\n\r\"<>")
		if end < 0 {
			end = len(text)
		}
		if r.corporateHost(hostOf(text[:end])) {
			return true
		}
		text = text[end:]
	}
}

// IsCorporateURL reports whether a URL's host is a corporate domain or one
// of its subdomains.
func (r *Roster) IsCorporateURL(u string) bool {
	return r != nil && r.corporateHost(hostOf(u))
}

// relayedHandle returns the account a repost or quote relays.
func relayedHandle(m *mention.Mention) (string, bool) {
	if rest, ok := strings.CutPrefix(m.Text, "RT @"); ok {
		end := strings.IndexAny(rest, ": \t\n")
		if end < 0 {
			end = len(rest)
		}
		return rest[:end], end > 0
	}
	if (m.RepostOf != "" || m.QuoteOf != "") && len(m.Mentions) > 0 {
		return m.Mentions[0], true
	}
	return "", false
}

// corporateHost reports whether host is one of the domains or one of
// their subdomains, ignoring case.
func (r *Roster) corporateHost(host string) bool {
	if host == "" {
		return false
	}
	for _, d := range r.domains {
		if len(host) < len(d) || !strings.EqualFold(host[len(host)-len(d):], d) {
			continue
		}
		if len(host) == len(d) || host[len(host)-len(d)-1] == '.' {
			return true
		}
	}
	return false
}

// indexURL finds the next "http://" or "https://", in any case.
func indexURL(s string) int {
	for i := 0; i+7 <= len(s); i++ {
		if s[i] != 'h' && s[i] != 'H' {
			continue
		}
		if hasPrefixFold(s[i:], "http://") || hasPrefixFold(s[i:], "https://") {
			return i
		}
	}
	return -1
}

// hostOf returns the host of a URL, with or without a scheme, without
// user information, port or trailing dot: "https://user@www.acme.fr:443/x"
// gives "www.acme.fr".
func hostOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	} else {
		u = strings.TrimPrefix(u, "//")
	}
	if i := strings.IndexAny(u, "/?#\\"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	if i := strings.LastIndexByte(u, ':'); i >= 0 && !strings.Contains(u[i:], "]") {
		u = u[:i]
	}
	return strings.TrimRight(strings.TrimRight(u, ".,;!?)'"), ".")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
