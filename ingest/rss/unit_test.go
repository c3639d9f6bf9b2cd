package rss

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigie-project/vigie/ingest"
)

func TestConfigValidate(t *testing.T) {
	ok := Feed{URL: "https://www.example.com/feed/"}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no feeds", Config{}, "feeds: at least one feed is required"},
		{"no url", Config{Feeds: []Feed{ok, {Name: "x"}}}, "feeds[1].url: is required"},
		{"ftp", Config{Feeds: []Feed{{URL: "ftp://example.com/feed"}}}, "feeds[0].url: must be http or https"},
		{"no host", Config{Feeds: []Feed{{URL: "https:///feed"}}}, "feeds[0].url:"},
		{"credentials", Config{Feeds: []Feed{{URL: "https://u:p@example.com/feed"}}}, "feeds[0].url: must not hold credentials"},
		{"duplicate url", Config{Feeds: []Feed{ok, {URL: ok.URL, Name: "other"}}}, "feeds[1].url: https://www.example.com/feed/ is already feeds[0]"},
		{"duplicate name", Config{Feeds: []Feed{{URL: "https://a.example/rss?x=1"}, {URL: "https://a.example/rss?x=2"}}}, `feeds[1].name: "a.example/rss" is already the name of feeds[0]`},
		{"lang", Config{Feeds: []Feed{{URL: ok.URL, Lang: "français"}}}, "feeds[0].lang:"},
		{"feed interval", Config{Feeds: []Feed{{URL: ok.URL, Interval: time.Second}}}, "feeds[0].interval: must be between 30s and 24h"},
		{"interval", Config{Feeds: []Feed{ok}, Interval: 48 * time.Hour}, "feeds[0].interval:"},
		{"timeout", Config{Feeds: []Feed{ok}, Timeout: time.Hour}, "timeout:"},
		{"body", Config{Feeds: []Feed{ok}, MaxBodyBytes: 10}, "max_body_bytes:"},
		{"items", Config{Feeds: []Feed{ok}, MaxItems: -1}, "max_items:"},
		{"text", Config{Feeds: []Feed{ok}, MaxTextBytes: 100}, "max_text_bytes:"},
		{"backoff", Config{Feeds: []Feed{ok}, MaxBackoff: time.Second}, "max_backoff:"},
		{"concurrency", Config{Feeds: []Feed{ok}, Concurrency: 1000}, "concurrency:"},
		{"user agent", Config{Feeds: []Feed{ok}, UserAgent: "a\nb"}, "user_agent:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.SetDefaults()
			err := tc.cfg.Validate()
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want it to start with %q", err, tc.want)
			}
		})
	}
	c := Config{Feeds: []Feed{ok, {URL: "https://b.example/atom.xml", Name: "b", Lang: "fr-FR", Interval: time.Minute}}}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Feeds[0].Name != "www.example.com/feed" || c.Feeds[0].Interval != DefaultInterval || c.Feeds[1].Interval != time.Minute {
		t.Fatalf("defaults: %+v", c.Feeds)
	}
	if _, err := New(c, ingest.Deps{}); err == nil || !strings.Contains(err.Error(), "deps.HTTP") {
		t.Fatalf("New without HTTP = %v", err)
	}
}

func TestCanonicalURL(t *testing.T) {
	base, _ := url.Parse("https://blog.example/feed/")
	for _, tc := range []struct{ in, want string }{
		{"https://www.example.com/a/b?utm_source=rss&utm_medium=feed", "https://www.example.com/a/b"},
		{"HTTPS://WWW.Example.COM:443/a#comments", "https://www.example.com/a"},
		{"http://example.com:80", "http://example.com/"},
		{"http://example.com:8080/x", "http://example.com:8080/x"},
		{"https://news.example/a.html?xtor=RSS-3208&id=7", "https://news.example/a.html?id=7"},
		{"https://news.example/a.html?id=7&page=2", "https://news.example/a.html?id=7&page=2"},
		{"/2026/11/post/", "https://blog.example/2026/11/post/"},
		{"post.html", "https://blog.example/feed/post.html"},
		{"  https://example.com./x  ", "https://example.com/x"},
		{"mailto:a@example.com", ""},
		{"javascript:alert(1)", ""},
		{"https://user:pw@example.com/", ""},
		{"", ""},
		{"https://exa mple.com/", ""},
	} {
		if got := canonicalURL(tc.in, base); got != tc.want {
			t.Errorf("canonicalURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHTMLText(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		links    []string
	}{
		{"plain text", "plain text", nil},
		{"<p>Un&nbsp;&eacute;t&eacute; <b>chaud</b></p><p>Deux</p>", "Un été chaud\nDeux", nil},
		{"a < b and c > d", "a < b and c > d", nil},
		{"x<br>y<br/>z", "x\ny\nz", nil},
		{`<a href="https://acme.fr/x?a=1&amp;b=2">lien</a> <a href='/rel'>rel</a> <a data-href="https://no.example">n</a>`, "lien rel n", []string{"https://acme.fr/x?a=1&b=2"}},
		{"<script>var a = '<p>';</script>visible<style>p{}</style>", "visible", nil},
		{"<SCRIPT type=x>bad()</SCRIPT >ok", "ok", nil},
		{"before<!-- <p>hidden</p> -->after", "beforeafter", nil},
		{"<![CDATA[raw & <kept>]]>", "raw & <kept>", nil},
		{`<img alt="a>b" src="x.jpg">caption`, "caption", nil},
		{"<p>unterminated", "unterminated", nil},
		{"<div\n class='x'>multi\nline</div>", "multi\nline", nil},
		{"  lots   of\t\tspace  ", "lots of space", nil},
		{"<table><tr><td>a</td><td>b</td></tr></table>", "a b", nil},
		{"&lt;p&gt;escaped&lt;/p&gt;", "<p>escaped</p>", nil},
		{"<script>never closed", "", nil},
	} {
		got, links := htmlText(tc.in)
		if got != tc.want {
			t.Errorf("htmlText(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Join(links, " ") != strings.Join(tc.links, " ") {
			t.Errorf("htmlText(%q) links = %v, want %v", tc.in, links, tc.links)
		}
	}
}

func TestRetryAfterAndBackoff(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    string
		want time.Duration
	}{
		{"120", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"", 0},
		{"soon", 0},
		{"99999999999", maxRetryAfter},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	} {
		if got := retryAfter(tc.h, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %s, want %s", tc.h, got, tc.want)
		}
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		if got := backoff(minBackoff, i+1, time.Hour); got != w {
			t.Errorf("backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := backoff(minBackoff, 1000, time.Hour); got != time.Hour {
		t.Errorf("backoff(1000) = %s", got)
	}
	for i := 0; i < 100; i++ {
		if d := halfJitter(time.Minute); d < 30*time.Second || d >= time.Minute {
			t.Fatalf("halfJitter(1m) = %s", d)
		}
	}
}

func TestPrimaryLangAndCut(t *testing.T) {
	for in, want := range map[string]string{"fr-FR": "fr", "fr_fr": "fr", "EN": "en", "en-US-x-twain": "en", "fra": "fra", "French": "", "f": "", "1a": ""} {
		got, ok := primaryLang(in)
		if got != want || ok != (want != "") {
			t.Errorf("primaryLang(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	s := strings.Repeat("é", 200) // 400 bytes
	c := cut(s, 301)
	if len(c) > 301 || !utf8.ValidString(c) || !strings.HasSuffix(c, "…") {
		t.Fatalf("cut = %d bytes, valid %v", len(c), utf8.ValidString(c))
	}
	if cut("short", 300) != "short" {
		t.Fatal("cut changed a short text")
	}
}
