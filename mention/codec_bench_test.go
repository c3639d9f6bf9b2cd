package mention

import (
	"encoding/json"
	"testing"
)

// go test -run '^$' -bench 'Codec' -benchmem ./mention/
//
// Both sides work on benchMention, about 700 bytes of JSON.

func BenchmarkCodecDecode(b *testing.B) {
	data, err := json.Marshal(benchMention())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("vigie", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Unmarshal(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			m := new(Mention)
			if err := json.Unmarshal(data, m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCodecEncode(b *testing.B) {
	m := benchMention()
	data, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("vigie", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("vigie_append", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		buf := make([]byte, 0, 1024)
		for b.Loop() {
			if buf, err = AppendJSON(buf[:0], m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
