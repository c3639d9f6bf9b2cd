package rss

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkDocument parses the WordPress fixture (3 articles with HTML
// content) and turns every item into a mention: the per-poll CPU cost.
func BenchmarkDocument(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "wordpress_fr.xml"))
	if err != nil {
		b.Fatal(err)
	}
	feed := Feed{URL: "https://blog-voyageur.example/feed/", Name: "voyageur"}
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	p := &poller{parser: newParser()}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	items := 0
	for b.Loop() {
		doc, err := p.parse(data)
		if err != nil {
			b.Fatal(err)
		}
		c := newConverter(feed, 65536, now, doc)
		for _, it := range doc.Items {
			link, hash := identity(feed.URL, c.base, it)
			_ = c.mention(it, link, hash)
			items++
		}
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkHTMLText strips a 10 KB article.
func BenchmarkHTMLText(b *testing.B) {
	var article string
	for len(article) < 10<<10 {
		article += `<p>Au comptoir, on m&#8217;apprend qu&#8217;une <strong>grève</strong> du personnel au sol touche ` +
			`tous les vols. Le <a href="https://www.acme.fr/infos-trafic?utm_source=blog">site d&#8217;Acme</a> n&#8217;en dit rien.</p>` + "\n"
	}
	b.SetBytes(int64(len(article)))
	b.ReportAllocs()
	for b.Loop() {
		htmlText(article)
	}
}
