package signals

import (
	"strings"

	"github.com/vigie-project/vigie/mention"
)

// IsRelay reports whether an employee's post relays the company: a repost
// or quote of one of its official accounts, or a link to one of its
// corporate domains or their subdomains.
//
// officialHandles holds the official accounts, lower case, without '@'
// ("acmefr", "acme@mastodon.social"). The relayed account is read from an
// "RT @handle" prefix, else from the first of m.Mentions, where collectors
// put the author of the post they relay. corporateDomains are registrable
// domains ("acme.com", "acme.fr"); a link counts when its host is one of
// them or ends with "." and one of them, so look-alikes such as
// acme.com.evil.net, notacme.com or https://acme.com@evil.net do not.
// Links come from m.Links and from the URLs written in m.Text.
func IsRelay(m *mention.Mention, officialHandles map[string]bool, corporateDomains []string) bool {
	if m == nil {
		return false
	}
	if len(officialHandles) > 0 {
		if h, ok := relayedHandle(m); ok && isOfficial(h, officialHandles) {
			return true
		}
	}
	if len(corporateDomains) == 0 {
		return false
	}
	for _, l := range m.Links {
		if corporateHost(hostOf(l), corporateDomains) {
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
		if corporateHost(hostOf(text[:end]), corporateDomains) {
			return true
		}
		text = text[end:]
	}
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

func isOfficial(h string, official map[string]bool) bool {
	h = strings.TrimPrefix(h, "@")
	if official[h] {
		return true
	}
	return official[strings.ToLower(h)]
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

// corporateHost reports whether host is one of the domains or one of
// their subdomains, ignoring case.
func corporateHost(host string, domains []string) bool {
	if host == "" {
		return false
	}
	for _, d := range domains {
		d = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(d, "*"), "."), ".")
		if d == "" || len(host) < len(d) {
			continue
		}
		tail := host[len(host)-len(d):]
		if !strings.EqualFold(tail, d) {
			continue
		}
		if len(host) == len(d) || host[len(host)-len(d)-1] == '.' {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
