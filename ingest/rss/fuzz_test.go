package rss

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigie-project/vigie/mention"
)

func FuzzHTMLText(f *testing.F) {
	for _, s := range []string{"<p>a&amp;b</p>", "<a href='https://x.example/'>x</a>", "<script>", "<!--", "<![CDATA[", "< <a <a href=\"", "&#x110000;&#0;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, links := htmlText(in)
		if !utf8.ValidString(in) {
			return
		}
		if !utf8.ValidString(out) {
			t.Fatalf("htmlText(%q) = %q: invalid UTF-8", in, out)
		}
		if strings.Contains(out, "\n\n") || strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, " \n") {
			t.Fatalf("htmlText(%q) = %q: white space not collapsed", in, out)
		}
		if len(links) > maxLinks {
			t.Fatalf("%d links", len(links))
		}
		for _, l := range links {
			if !isHTTP(l) {
				t.Fatalf("link %q is not http(s)", l)
			}
		}
	})
}

// FuzzFeed runs any document through the parser and the conversion: no
// panic, and every mention it makes passes Normalize.
func FuzzFeed(f *testing.F) {
	// Small seeds: the fuzzer spends up to a minute minimising every new
	// interesting input, which on the full fixtures leaves no time to fuzz.
	f.Add([]byte(`<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title><link>https://s.example/</link><language>fr-FR</language>` +
		`<item><title>A &amp; B</title><link>/a?utm_source=x</link><guid isPermaLink="false">g1</guid><pubDate>Mon, 02 Nov 2026 08:12:44 +0000</pubDate>` +
		`<description><![CDATA[<p>d&eacute;</p>]]></description><content:encoded><![CDATA[<p>x <a href="https://acme.fr/">y</a></p>]]></content:encoded></item></channel></rss>`))
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>F</title><link href="https://f.example/"/>` +
		`<entry><title type="html">T&amp;#8217;s</title><link href="/p/"/><id>urn:uuid:1</id><updated>2026-10-30T09:15:00Z</updated>` +
		`<content type="html">&lt;p&gt;c&lt;/p&gt;</content></entry></feed>`))
	f.Add([]byte(`<rss version="2.0"><channel><item><title>no link</title></item><item><guid>https://g.example/1</guid></item></channel></rss>`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[{"id":"1","url":"https://j.example/1","content_html":"<p>x</p>"}]}`))
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	feed := Feed{URL: "https://feed.example/rss", Name: "fuzz"}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := &poller{parser: nil}
		p.parser = newParser()
		doc, err := p.parse(data)
		if err != nil {
			return
		}
		c := newConverter(feed, 1024, now, doc)
		for _, it := range doc.Items {
			if it == nil {
				continue
			}
			link, hash := identity(feed.URL, c.base, it)
			m := c.mention(it, link, hash)
			if len(m.ID) != len(IDPrefix)+64 {
				t.Fatalf("id %q", m.ID)
			}
			if err := mention.Normalize(m, mention.Limits{MaxTextBytes: 1024}, now); err != nil {
				t.Fatalf("mention of a parsed item fails Normalize: %v (%+v)", err, m)
			}
		}
	})
}
