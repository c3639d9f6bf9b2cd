package alerting

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"30", "0", "-1", "Mon, 09 Mar 2026 12:01:30 GMT", "Monday, 09-Mar-26 12:01:30 GMT", "", "1e9", " 7 "} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %v, %v", s, d, ok)
		}
	})
}

// Whatever a post says, it cannot add Slack control sequences, Telegram
// tags or Markdown links to a message.
func FuzzPostEscaping(f *testing.F) {
	for _, s := range []string{"<!channel>", "<https://evil|ack>", "<b>x</b>", "[a](https://evil)", "*_`~", "&amp;", "@here"} {
		f.Add(s, "@author")
	}
	tp, err := DefaultTemplates()
	if err != nil {
		f.Fatal(err)
	}
	tgTag := regexp.MustCompile(`<(/?)([a-z]*)[ >]`)
	f.Fuzz(func(t *testing.T, text, author string) {
		n := &Notification{Key: "k", Kind: KindCrisis, Status: StatusOpen, Severity: 4, At: time.Unix(1444048800, 0),
			Observed: 10, Expected: 1, SamplePosts: []Post{{Author: author, Text: text}}}
		m, err := tp.Render(n, MarkupSlack)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.Body, "<!") || strings.Contains(m.Body, "<@") {
			t.Fatalf("slack body carries a control sequence:\n%s", m.Body)
		}
		m, err = tp.Render(n, MarkupTelegram)
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range tgTag.FindAllStringSubmatch(m.Body, -1) {
			if tag[2] != "b" && tag[2] != "i" && tag[2] != "a" {
				t.Fatalf("telegram body carries tag %q:\n%s", tag[0], m.Body)
			}
		}
		m, err = tp.Render(n, MarkupMarkdown)
		if err != nil {
			t.Fatal(err)
		}
		// No URL is set: every "](" must be an escaped one from the post.
		for rest, off := m.Body, 0; ; {
			k := strings.Index(rest, "](")
			if k < 0 {
				break
			}
			if off+k == 0 || m.Body[off+k-1] != '\\' {
				t.Fatalf("markdown body carries a link from the post:\n%s", m.Body)
			}
			rest, off = rest[k+2:], off+k+2
		}
	})
}
