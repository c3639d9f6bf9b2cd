package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/vigie-project/vigie/mention"
)

type readLine struct {
	text    string
	tooLong bool
}

func readAll(t testing.TB, r io.Reader, max int) ([]readLine, error) {
	t.Helper()
	lr := newLineReader(r, max)
	var out []readLine
	for {
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if len(out)+1 != lr.n {
			t.Fatalf("line number %d after %d lines", lr.n, len(out))
		}
		out = append(out, readLine{string(line), tooLong})
	}
}

func TestLineReader(t *testing.T) {
	const max = 8
	for _, tc := range []struct {
		name string
		in   string
		want []readLine
	}{
		{"empty", "", nil},
		{"one line", "abc\n", []readLine{{"abc", false}}},
		{"no final newline", "abc\ndef", []readLine{{"abc", false}, {"def", false}}},
		{"CRLF", "abc\r\ndef\r\n", []readLine{{"abc", false}, {"def", false}}},
		{"blank lines kept for numbering", "\n\nx\n", []readLine{{"", false}, {"", false}, {"x", false}}},
		{"exactly max", "12345678\n", []readLine{{"12345678", false}}},
		{"exactly max with CRLF", "12345678\r\n", []readLine{{"12345678", false}}},
		{"one over max", "123456789\nok\n", []readLine{{"", true}, {"ok", false}}},
		{"far over max, last line", "ok\n" + strings.Repeat("z", 100), []readLine{{"ok", false}, {"", true}}},
		{"over max in the middle", "a\n" + strings.Repeat("z", 70000) + "\nb\n", []readLine{{"a", false}, {"", true}, {"b", false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				got, err := readAll(t, r, max)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Errorf("line %d = %+v, want %+v", i+1, got[i], tc.want[i])
					}
				}
			}
		})
	}
}

func TestLineReaderReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := readAll(t, io.MultiReader(strings.NewReader("ok\npartial"), iotest.ErrReader(boom)), 8)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the read error", err)
	}
}

// FuzzLineReader checks that any input splits into lines that add up to
// it: no line is lost, none is over the limit, none holds a newline.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nb\r\n\nccccccccccccccccc\nd"))
	f.Add([]byte(""))
	f.Add([]byte("\r\r\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 5
		got, err := readAll(t, bytes.NewReader(in), max)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Split(string(in), "\n")
		if strings.HasSuffix(string(in), "\n") || len(in) == 0 {
			want = want[:len(want)-1]
		}
		if len(got) != len(want) {
			t.Fatalf("%d lines, want %d", len(got), len(want))
		}
		for i, w := range want {
			w = strings.TrimSuffix(w, "\r")
			if len(w) > max {
				if !got[i].tooLong {
					t.Errorf("line %d (%d bytes) not reported too long", i+1, len(w))
				}
				continue
			}
			if got[i].tooLong || got[i].text != w {
				t.Errorf("line %d = %+v, want %q", i+1, got[i], w)
			}
		}
	})
}

// FuzzDecodeLine checks that any line either decodes to a valid mention
// or is rejected with a reason, and never panics.
func FuzzDecodeLine(f *testing.F) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	f.Add([]byte(`{"id":"simulate:1","source":"simulate","created_at":"2026-10-05T07:30:00Z","text":"Merci @AirFrance #Vol","hashtags":["#Vol"],"mentions":["@AirFrance"]}`))
	f.Add([]byte(`{"id":"x","source":"Bad Source","created_at":"2026-10-05T07:30:00Z"}`))
	f.Add([]byte(`{"id":"x","source":"rss","created_at":"1999-10-05T07:30:00Z"}`))
	f.Add([]byte(`{"id":"x","source":"rss","created_at":"2026-10-05T07:30:00Z","likes":-1}`))
	f.Add([]byte(`{"id":"x","source":"rss","created_at":"2026-10-05T07:30:00+02:00","text":"\xff\xfe"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"id":"x"} trailing`))
	f.Add([]byte(`{"author":{"followers":1e30}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := decodeLine(line, now)
		if err != nil {
			if m != nil {
				t.Fatal("a mention returned with an error")
			}
			if !errors.Is(err, ErrBadJSON) && !errors.Is(err, mention.ErrInvalid) {
				t.Fatalf("error %v is neither bad JSON nor an invalid mention", err)
			}
			return
		}
		if m.ID == "" || m.Source == "" || m.CreatedAt.IsZero() || m.CreatedAt.Location() != time.UTC {
			t.Fatalf("accepted an incomplete mention: %+v", m)
		}
		// A decoded mention survives the bus round trip unchanged.
		b, err := mention.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := decodeLine(b, now)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		b2, _ := json.Marshal(m2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the mention:\n%s\n%s", b, b2)
		}
	})
}
