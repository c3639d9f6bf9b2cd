package mastodon

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/vigie-project/vigie/ingest/internal/collectortest"
)

func readEvents(t testing.TB, in string) ([]sseEvent, error) {
	t.Helper()
	r := newSSEReader(strings.NewReader(in))
	var out []sseEvent
	for {
		ev, err := r.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, ev)
		if len(out) > 1e6 {
			t.Fatal("runaway")
		}
	}
}

func TestSSEReader(t *testing.T) {
	in := ":)\n\nevent: update\ndata: {\"id\":\"1\"}\n\n:thump\r\n\r\nevent:delete\rdata:42\r\revent: x\ndata: a\ndata:  b\nid: 7\nretry: 10\n\ndata: no name\n\nevent: dropped\n\nevent: unterminated\ndata: lost"
	got, err := readEvents(t, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []sseEvent{
		{comment: true, data: ")"},
		{name: "update", data: `{"id":"1"}`},
		{comment: true, data: "thump"},
		{name: "delete", data: "42"},
		{name: "x", data: "a\n b"},
		{name: "message", data: "no name"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestSSEFixture(t *testing.T) {
	got, err := readEvents(t, string(collectortest.ReadFixture(t, "stream_greve.sse")))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ev := range got {
		if ev.comment {
			names = append(names, ":"+ev.data)
		} else {
			names = append(names, ev.name)
		}
	}
	if want := ":) update :thump delete update status.update filters_changed :thump update"; strings.Join(names, " ") != want {
		t.Fatalf("events %q, want %q", strings.Join(names, " "), want)
	}
}

func TestSSETooLong(t *testing.T) {
	long := "data: " + strings.Repeat("x", maxEventBytes+10) + "\n\n"
	if _, err := readEvents(t, long); !errors.Is(err, errEventTooLong) {
		t.Fatalf("err = %v, want errEventTooLong", err)
	}
	// Many data lines adding up past the bound.
	var b strings.Builder
	line := "data: " + strings.Repeat("y", 1000) + "\n"
	for i := 0; i < maxEventBytes/1000+5; i++ {
		b.WriteString(line)
	}
	if _, err := readEvents(t, b.String()); !errors.Is(err, errEventTooLong) {
		t.Fatalf("err = %v, want errEventTooLong", err)
	}
}

func FuzzSSE(f *testing.F) {
	f.Add(string(collectortest.ReadFixture(f, "stream_greve.sse")))
	f.Add("event: a\r\ndata: b\r\n\r\n:c\r")
	f.Add("data\n\n\r\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		evs, _ := readEvents(t, in)
		for _, ev := range evs {
			if len(ev.data) > len(in) || (ev.name != "message" && len(ev.name) > len(in)) {
				t.Fatalf("event larger than the input: %+v", ev)
			}
		}
	})
}

func TestLinkParam(t *testing.T) {
	const h = `<https://mastodon.social/api/v1/timelines/tag/cats?max_id=103206185588894565>; rel="next", <https://mastodon.social/api/v1/timelines/tag/cats?min_id=103206804533200177>; rel="prev"`
	if got := linkParam(h, "prev", "min_id"); got != "103206804533200177" {
		t.Errorf("prev min_id = %q", got)
	}
	if got := linkParam(h, "next", "max_id"); got != "103206185588894565" {
		t.Errorf("next max_id = %q", got)
	}
	for _, bad := range []string{"", "garbage", "<x", `<https://a/?min_id=1>; rel="next"`, `<%zz>; rel=prev`} {
		if got := linkParam(bad, "prev", "min_id"); got != "" {
			t.Errorf("linkParam(%q) = %q, want empty", bad, got)
		}
	}
	if got := linkParam(`<https://a/?min_id=5>; title="a, b"; rel="prev next"`, "prev", "min_id"); got != "5" {
		t.Errorf("quoted comma: %q", got)
	}
}

func FuzzLinkParam(f *testing.F) {
	f.Add(`<https://mastodon.social/api/v1/timelines/tag/cats?min_id=1>; rel="prev", <https://x/?max_id=2>; rel="next"`)
	f.Add(`<>;rel=prev,<`)
	f.Fuzz(func(t *testing.T, h string) {
		if got := linkParam(h, "prev", "min_id"); len(got) > len(h) {
			t.Fatalf("%q out of %q", got, h)
		}
	})
}
