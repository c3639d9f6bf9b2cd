package mastodon

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHTMLText(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		links          []string
	}{
		{"empty", "", "", nil},
		{"plain", "bonjour", "bonjour", nil},
		{"paragraphs and br",
			"<p>Encore un vol annulé.</p><p>Ligne 1<br>Ligne 2<br />Ligne 3</p>",
			"Encore un vol annulé.\n\nLigne 1\nLigne 2\nLigne 3", nil},
		{"entities",
			"<p>&quot;I lost my inheritance&quot; &amp; bon d&#39;achat &lt;3 &eacute;t&#xE9;</p>",
			`"I lost my inheritance" & bon d'achat <3 été`, nil},
		{"white space collapses",
			"<p>  trop   d'espaces\n\tici  </p>",
			"trop d'espaces ici", nil},
		// The documentation's example: the invisible and ellipsis spans
		// concatenate to the full URL.
		{"long link",
			`<p>Détails : <a href="https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance" rel="nofollow noopener noreferrer" target="_blank"><span class="invisible">https://www.</span><span class="ellipsis">theguardian.com/money/2019/dec</span><span class="invisible">/07/i-lost-my-193000-inheritance</span></a></p>`,
			"Détails : https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance",
			[]string{"https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance"}},
		{"mentions and hashtags are not links",
			`<p><span class="h-card"><a href="https://piaille.fr/@lea" class="u-url mention">@<span>lea</span></a></span> <a href="https://mastodon.social/tags/AirFrance" class="mention hashtag" rel="tag">#<span>AirFrance</span></a> <a href="https://pleroma.example/tag/greve" rel="tag">#greve</a></p>`,
			"@lea #AirFrance #greve", nil},
		{"href entities and duplicates",
			`<a href="https://ex.example/?a=1&amp;b=2">x</a> <a href="https://ex.example/?a=1&amp;b=2">y</a> <a href="javascript:alert(1)">z</a>`,
			"x y z", []string{"https://ex.example/?a=1&b=2"}},
		{"lists and quotes", "<blockquote><p>cité</p></blockquote><ul><li>un</li><li>deux</li></ul>fin",
			"cité\n\nun\ndeux\n\nfin", nil},
		{"pre keeps lines", "<pre>a  b\nc</pre>", "a  b\nc", nil},
		{"script and comments skipped", "a<script>alert('x')</script>b<!-- c -->d<style>p{}</style>e", "abde", nil},
		{"not a tag", "a < b > c <3 <", "a < b > c <3 <", nil},
		{"unclosed tag", `x <a href="y`, "x <a href=\"y", nil},
		{"unclosed comment", "x <!-- y", "x", nil},
		{"upper case tags", "<P>A<BR>B</P>", "A\nB", nil},
		{"unquoted attribute", `<a href=https://ex.example/x class=foo>l</a>`, "l", []string{"https://ex.example/x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, links := htmlText(tc.in)
			if got != tc.want {
				t.Errorf("text = %q, want %q", got, tc.want)
			}
			if !slices.Equal(links, tc.links) {
				t.Errorf("links = %q, want %q", links, tc.links)
			}
		})
	}
}

func FuzzHTMLText(f *testing.F) {
	for _, s := range []string{
		"<p>a<br>b</p>", `<a href="https://x.example" class="mention">@x</a>`, "<pre>x\ny</pre>",
		"<!-- -->", "<script>x", "&amp;&#x10FFFF;&#0;", "<a href='x", "<<>>", "\xff<p>\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		text, links := htmlText(in)
		if utf8.ValidString(in) && !utf8.ValidString(text) {
			t.Fatalf("invalid UTF-8 out of valid input %q: %q", in, text)
		}
		if strings.HasPrefix(text, "\n") || strings.HasSuffix(text, "\n") || strings.Contains(text, "\n\n\n") {
			t.Fatalf("stray line breaks in %q", text)
		}
		for _, l := range links {
			if !isWebLink(l) {
				t.Fatalf("link %q is not an http(s) URL", l)
			}
		}
	})
}

func BenchmarkHTMLText(b *testing.B) {
	in := `<p>Encore un vol annulé à la dernière minute, on nous propose un bon d&#39;achat au lieu d&#39;un remboursement. Honteux.</p><p><a href="https://piaille.fr/tags/AirFrance" class="mention hashtag" rel="nofollow noopener" target="_blank">#<span>AirFrance</span></a> <a href="https://piaille.fr/tags/gr%C3%A8ve" class="mention hashtag" rel="nofollow noopener" target="_blank">#<span>grève</span></a><br>Détails : <a href="https://www.lemonde.fr/economie/article/2026/11/02/greve-des-pilotes-air-france_6123456_3234.html" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">https://www.</span><span class="ellipsis">lemonde.fr/economie/article/20</span><span class="invisible">26/11/02/greve-des-pilotes-air-france_6123456_3234.html</span></a></p>`
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		htmlText(in)
	}
}
