package mention

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
)

// checkDecoding fails unless Unmarshal and json.Unmarshal agree on data:
// both fail, or both succeed with equal values. It returns Unmarshal's.
func checkDecoding(t *testing.T, data string) (*Mention, error) {
	t.Helper()
	want := new(Mention)
	wantErr := json.Unmarshal([]byte(data), want)
	got, err := Unmarshal([]byte(data))
	switch {
	case err != nil && wantErr == nil:
		t.Fatalf("Unmarshal(%.200q) fails, json.Unmarshal does not: %v", data, err)
	case err == nil && wantErr != nil:
		t.Fatalf("Unmarshal(%.200q) succeeds, json.Unmarshal fails: %v", data, wantErr)
	case err != nil:
		if got != nil {
			t.Fatalf("Unmarshal(%.200q) returns a mention with its error", data)
		}
		var ce *CodecError
		if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), "mention: ") {
			t.Fatalf("Unmarshal(%.200q) error %v is not a CodecError", data, err)
		}
	case !reflect.DeepEqual(got, want):
		t.Fatalf("Unmarshal(%.200q) =\n%+v\njson.Unmarshal =\n%+v", data, got, want)
	}
	return got, err
}

// withMention wraps members into a mention with the required fields first.
func withMention(members string) string {
	return `{"id":"x:1","source":"x","created_at":"2026-11-22T10:00:00Z"` + members + `}`
}

func TestUnmarshalMatchesEncodingJSON(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input string
		fails bool
		check func(m *Mention) bool // optional, on success
	}{
		// Structure and white space.
		{name: "empty object", input: `{}`},
		{name: "white space everywhere", input: " \t\r\n{ \"id\" :\n\"a\" , \"likes\"\t:\r1 ,\"hashtags\" : [ \"a\" , \"b\" ] , \"author\" : { } } \n"},
		{name: "top-level null", input: ` null `, check: func(m *Mention) bool { return reflect.DeepEqual(m, &Mention{}) }},
		{name: "empty input", input: ``, fails: true},
		{name: "only white space", input: " \n", fails: true},
		{name: "top-level array", input: `[]`, fails: true},
		{name: "top-level string", input: `"x"`, fails: true},
		{name: "top-level number", input: `1`, fails: true},
		{name: "trailing garbage", input: `{} x`, fails: true},
		{name: "two values", input: `{}{}`, fails: true},
		{name: "byte order mark", input: "\ufeff{}", fails: true},
		{name: "form feed is not white space", input: "{\f}", fails: true},
		{name: "trailing comma in object", input: `{"id":"a",}`, fails: true},
		{name: "trailing comma in array", input: `{"hashtags":["a",]}`, fails: true},
		{name: "missing colon", input: `{"id" "a"}`, fails: true},
		{name: "unquoted key", input: `{id:"a"}`, fails: true},
		{name: "single quotes", input: `{'id':'a'}`, fails: true},
		{name: "unterminated object", input: `{"id":"a"`, fails: true},
		{name: "end of input after a key", input: `{"000000":`, fails: true},
		{name: "end of input after a known key", input: `{"author": `, fails: true},
		{name: "unterminated string", input: `{"id":"a`, fails: true},
		{name: "truncated literal", input: `{"idea":tru`, fails: true},
		{name: "bad literal", input: `{"idea":trUe}`, fails: true},
		{name: "literal with suffix", input: `{"idea":truex}`, fails: true},
		{name: "key order does not matter", input: `{"likes":3,"text":"t","id":"a","source":"s","author":{"name":"n","id":"i"}}`,
			check: func(m *Mention) bool { return m.ID == "a" && m.Author.ID == "i" && m.Likes == 3 }},

		// Unknown keys are skipped, whatever they hold, but must be valid JSON.
		{name: "unknown keys", input: withMention(`,"x":1,"y":{"a":[1,{"b":null}],"c":"\u00e9\"}"},"z":[[],{},true,false,null,-1.5e3],"author":{"w":{}}`)},
		{name: "unknown keys in nested objects", input: withMention(`,"geo":{"alt":[1],"lat":1},"sentiment":{"x":{"y":[]},"terms":[{"z":[{}],"term":"a"}]},"charter":[{"q":1,"spans":[{"r":[2],"start":1}]}]`)},
		{name: "invalid unknown value", input: withMention(`,"x":[1,}`), fails: true},
		{name: "invalid number in unknown value", input: withMention(`,"x":01`), fails: true},
		{name: "invalid escape in unknown value", input: withMention(`,"x":"\q"`), fails: true},
		{name: "control character in unknown value", input: withMention(",\"x\":\"\x01\""), fails: true},
		{name: "invalid literal in unknown value", input: withMention(`,"x":nul`), fails: true},
		{name: "mismatched brackets in unknown value", input: withMention(`,"x":[}`), fails: true},
		{name: "depth 10000 is accepted", input: `{"x":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`},
		{name: "depth 10001 is rejected", input: `{"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, fails: true},
		{name: "depth limit counts typed levels", input: `{"charter":[{"spans":[{"x":` + strings.Repeat("{\"a\":", 9995) + "1" + strings.Repeat("}", 9995) + `}]}]}`},
		{name: "depth limit counts typed levels, one more", input: `{"charter":[{"spans":[{"x":` + strings.Repeat("{\"a\":", 9996) + "1" + strings.Repeat("}", 9996) + `}]}]}`, fails: true},

		// null leaves values, and sets pointers and slices to nil.
		{name: "null for every field", input: `{"id":null,"source":null,"url":null,"created_at":null,"collected_at":null,"author":null,"text":null,"lang":null,"hashtags":null,"mentions":null,"links":null,"reply_to":null,"repost_of":null,"quote_of":null,"geo":null,"likes":null,"reposts":null,"replies":null,"views":null,"watches":null,"sentiment":null,"charter":null,"entities":null,"idea":null,"relay_of_official":null,"detractor":null,"analyzed_at":null}`,
			check: func(m *Mention) bool { return reflect.DeepEqual(m, &Mention{}) }},
		{name: "null after a value leaves it", input: `{"id":"a","id":null,"likes":2,"likes":null,"idea":true,"idea":null,"created_at":"2026-01-01T00:00:00Z","created_at":null,"author":{"id":"b"},"author":null}`,
			check: func(m *Mention) bool {
				return m.ID == "a" && m.Likes == 2 && m.Idea && m.CreatedAt.Year() == 2026 && m.Author.ID == "b"
			}},
		{name: "null after a value clears pointers and slices", input: `{"geo":{"lat":1},"geo":null,"sentiment":{},"sentiment":null,"hashtags":["a"],"hashtags":null,"charter":[{}],"charter":null}`,
			check: func(m *Mention) bool {
				return m.Geo == nil && m.Sentiment == nil && m.Hashtags == nil && m.Charter == nil
			}},
		{name: "null in nested fields", input: `{"author":{"id":null,"followers":null,"verified":null},"geo":{"lat":null,"lon":null},"sentiment":{"score":null,"label":null,"terms":[null,{"term":null,"weight":null}]},"charter":[null,{"rule":null,"severity":null,"spans":[null,{"start":null,"end":null,"text":null}]}]}`},
		{name: "null string elements", input: `{"hashtags":[null,"a",null],"watches":[null]}`},
		{name: "empty arrays are not nil", input: `{"hashtags":[],"charter":[ ],"sentiment":{"terms":[]}}`,
			check: func(m *Mention) bool { return m.Hashtags != nil && m.Charter != nil && m.Sentiment.Terms != nil }},
		{name: "empty objects allocate", input: `{"geo":{},"sentiment":{}}`,
			check: func(m *Mention) bool { return *m.Geo == Geo{} && m.Sentiment != nil }},

		// Duplicate keys: the last wins, objects merge, arrays reuse elements.
		{name: "duplicate keys", input: `{"id":"a","id":"b","likes":1,"likes":2}`, check: func(m *Mention) bool { return m.ID == "b" && m.Likes == 2 }},
		{name: "duplicate objects merge", input: `{"author":{"id":"a","name":"n"},"author":{"handle":"h","name":"m"},"geo":{"lat":1},"geo":{"lon":2},"sentiment":{"score":1},"sentiment":{"label":"l"}}`,
			check: func(m *Mention) bool {
				return m.Author == Author{ID: "a", Handle: "h", Name: "m"} && *m.Geo == Geo{1, 2} && reflect.DeepEqual(*m.Sentiment, Sentiment{Score: 1, Label: "l"})
			}},
		{name: "duplicate arrays reuse elements", input: `{"charter":[{"rule":"a","spans":[{"start":1}]},{"rule":"b"}],"charter":[{"category":"c"}],"sentiment":{"terms":[{"term":"x"}],"terms":[{"weight":1},{"weight":2}]}}`,
			check: func(m *Mention) bool {
				return len(m.Charter) == 1 && m.Charter[0].Rule == "a" && m.Charter[0].Category == "c" && len(m.Charter[0].Spans) == 1 &&
					m.Sentiment.Terms[0] == Term{"x", 1} && m.Sentiment.Terms[1] == Term{"", 2}
			}},
		{name: "a shorter array then a longer one sees earlier elements", input: `{"hashtags":["a","b","c"],"hashtags":["d"],"hashtags":["e",null,null,null,"f"],"charter":[{"rule":"a"},{"rule":"b"}],"charter":[{}],"charter":[{},{},{}]}`,
			check: func(m *Mention) bool {
				return reflect.DeepEqual(m.Hashtags, []string{"e", "b", "c", "", "f"}) && m.Charter[1].Rule == "b" && m.Charter[2].Rule == ""
			}},
		{name: "an empty array forgets earlier elements", input: `{"hashtags":["a","b"],"hashtags":[],"hashtags":[null,null]}`,
			check: func(m *Mention) bool { return reflect.DeepEqual(m.Hashtags, []string{"", ""}) }},

		// Keys match case-insensitively, as encoding/json folds them.
		{name: "upper-case keys", input: `{"ID":"a","Source":"s","CREATED_AT":"2026-01-01T00:00:00Z","Author":{"HANDLE":"h","Followers":3},"GEO":{"LAT":1},"Sentiment":{"Terms":[{"TERM":"t","Weight":1}]},"CHARTER":[{"Rule":"r","Spans":[{"START":1,"End":2,"TEXT":"x"}]}],"Relay_Of_Official":true}`,
			check: func(m *Mention) bool {
				return m.ID == "a" && m.Author.Handle == "h" && m.Geo.Lat == 1 && m.Charter[0].Spans[0].End == 2 && m.RelayOfOfficial
			}},
		{name: "exact and folded keys are the same field", input: `{"id":"a","ID":"b","Id":"c"}`, check: func(m *Mention) bool { return m.ID == "c" }},
		{name: "long s folds to s", input: `{"ſource":"s","author":{"handle":"h"},"hashtagſ":["x"]}`, check: func(m *Mention) bool { return m.Source == "s" && len(m.Hashtags) == 1 }},
		{name: "Kelvin sign folds to k", input: "{\"li\u212aes\":5,\"lin\u212aS\":[\"l\"]}", check: func(m *Mention) bool { return m.Likes == 5 && len(m.Links) == 1 }},
		{name: "escaped keys", input: `{"\u0069\u0064":"a","sour\u0063e":"s","\u017fource":"t"}`, check: func(m *Mention) bool { return m.ID == "a" && m.Source == "t" }},
		{name: "other non-ASCII keys do not match", input: `{"ïd":"a","İD":"b","ıd":"c","ｉｄ":"d","id\u0000":"e"}`, check: func(m *Mention) bool { return m.ID == "" }},
		{name: "underscore is not folded", input: `{"created-at":"x","createdat":"y","CreatedAt":"z"}`},

		// Strings.
		{name: "escapes", input: `{"text":"a\"b\\c\/d\be\ff\ng\rh\ti\u00e9\u00E9\u20ac\ud83d\ude21"}`,
			check: func(m *Mention) bool { return m.Text == "a\"b\\c/d\be\ff\ng\rh\tiéé€😡" }},
		{name: "lone high surrogate", input: `{"text":"a\ud83db"}`, check: func(m *Mention) bool { return m.Text == "a\uFFFDb" }},
		{name: "lone low surrogate", input: `{"text":"\ude21"}`, check: func(m *Mention) bool { return m.Text == "\uFFFD" }},
		{name: "two high surrogates", input: `{"text":"\ud83d\ud83d\ude21"}`, check: func(m *Mention) bool { return m.Text == "\uFFFD😡" }},
		{name: "surrogates reversed", input: `{"text":"\ude21\ud83d"}`},
		{name: "high surrogate then escape", input: `{"text":"\ud83d\n\u0041"}`},
		{name: "high surrogate at the end", input: `{"text":"\ud83d"}`},
		{name: "high surrogate then a bad escape", input: `{"text":"\ud83d\u12"}`, fails: true},
		{name: "invalid UTF-8 becomes U+FFFD per byte", input: "{\"text\":\"caf\xe9 \xe2\x82 \xed\xa0\x80 \xff\",\"hashtags\":[\"\xc3\"]}",
			check: func(m *Mention) bool { return m.Text == "caf\uFFFD \uFFFD\uFFFD \uFFFD\uFFFD\uFFFD \uFFFD" }},
		{name: "invalid UTF-8 in a key", input: "{\"i\xffd\":\"a\",\"id\xff\":\"b\"}"},
		{name: "raw U+2028 and DEL", input: "{\"text\":\"\u2028\u2029\x7f\"}"},
		{name: "raw control character", input: "{\"text\":\"a\nb\"}", fails: true},
		{name: "raw NUL", input: "{\"text\":\"\x00\"}", fails: true},
		{name: "invalid escape", input: `{"text":"\a"}`, fails: true},
		{name: "escaped single quote", input: `{"text":"\'"}`, fails: true},
		{name: "short \\u escape", input: `{"text":"\u12"}`, fails: true},
		{name: "non-hex \\u escape", input: `{"text":"\u12g4"}`, fails: true},
		{name: "escaped NUL", input: `{"text":"\u0000"}`, check: func(m *Mention) bool { return m.Text == "\x00" }},
		{name: "HTML as json.Marshal writes it", input: `{"text":"\u003cb\u003e \u0026amp;"}`, check: func(m *Mention) bool { return m.Text == "<b> &amp;" }},

		// Integers.
		{name: "integers", input: `{"likes":0,"reposts":-0,"replies":9223372036854775807,"views":-9223372036854775808,"author":{"followers":123456789012345678},"charter":[{"severity":-3,"spans":[{"start":0,"end":1000000000000}]}]}`},
		{name: "int64 overflow", input: `{"likes":9223372036854775808}`, fails: true},
		{name: "int64 underflow", input: `{"views":-9223372036854775809}`, fails: true},
		{name: "int overflow", input: `{"charter":[{"severity":99999999999999999999}]}`, fails: true},
		{name: "integer with a fraction", input: `{"likes":1.0}`, fails: true},
		{name: "integer with an exponent", input: `{"likes":1e3}`, fails: true},
		{name: "integer with a negative exponent", input: `{"author":{"followers":10E-1}}`, fails: true},
		{name: "integer as a string", input: `{"likes":"1"}`, fails: true},
		{name: "leading zero", input: `{"likes":01}`, fails: true},
		{name: "plus sign", input: `{"likes":+1}`, fails: true},
		{name: "lone minus", input: `{"likes":-}`, fails: true},
		{name: "hexadecimal", input: `{"likes":0x10}`, fails: true},
		{name: "long zero-padded integer is invalid", input: `{"likes":-00}`, fails: true},

		// Floats.
		{name: "floats", input: `{"geo":{"lat":-0,"lon":1E+2},"sentiment":{"score":-0.8125,"terms":[{"weight":1e-400},{"weight":2.5e-324},{"weight":1.7976931348623157e308},{"weight":0.1000000000000000055511151231257827021181583404541015625}]}}`},
		{name: "float overflow", input: `{"geo":{"lat":1e309}}`, fails: true},
		{name: "float missing fraction digits", input: `{"geo":{"lat":1.}}`, fails: true},
		{name: "float missing exponent digits", input: `{"geo":{"lat":1e}}`, fails: true},
		{name: "float with exponent sign only", input: `{"geo":{"lat":1e+}}`, fails: true},
		{name: "float leading dot", input: `{"geo":{"lat":.5}}`, fails: true},
		{name: "NaN", input: `{"geo":{"lat":NaN}}`, fails: true},
		{name: "float as a string", input: `{"sentiment":{"score":"0.5"}}`, fails: true},

		// Booleans.
		{name: "bools", input: `{"idea":true,"relay_of_official":false,"detractor":true,"author":{"verified":true}}`},
		{name: "bool as a number", input: `{"idea":1}`, fails: true},
		{name: "bool as a string", input: `{"idea":"true"}`, fails: true},

		// Times, as time.Time.UnmarshalJSON takes them.
		{name: "times", input: `{"created_at":"2026-11-22T10:00:00.123456789Z","collected_at":"2026-11-22T11:00:00+01:00","analyzed_at":"2026-11-22T05:30:00.5-04:30"}`},
		{name: "time with lower-case t and z", input: `{"created_at":"2026-11-22t10:00:00z"}`, fails: true},
		{name: "time without zone", input: `{"created_at":"2026-11-22T10:00:00"}`, fails: true},
		{name: "date only", input: `{"created_at":"2026-11-22"}`, fails: true},
		{name: "time with space", input: `{"created_at":"2026-11-22 10:00:00Z"}`, fails: true},
		{name: "time with hour 24", input: `{"created_at":"2026-11-22T24:00:00Z"}`, fails: true},
		{name: "time with zone hour 24 decodes (and json.Marshal cannot encode it)", input: `{"created_at":"2026-11-22T10:00:00+24:00"}`},
		{name: "time with zone hour 25", input: `{"created_at":"2026-11-22T10:00:00+25:00"}`, fails: true},
		{name: "time with escape", input: `{"created_at":"2026-11-22T10:00:00\u005a"}`, fails: true},
		{name: "time as a number", input: `{"created_at":1764000000}`, fails: true},
		{name: "time as an object", input: `{"analyzed_at":{}}`, fails: true},
		{name: "time empty", input: `{"collected_at":""}`, fails: true},

		// Type mismatches.
		{name: "string as a number", input: `{"id":1}`, fails: true},
		{name: "string as a bool", input: `{"text":true}`, fails: true},
		{name: "string as an array", input: `{"text":["a"]}`, fails: true},
		{name: "string as an object", input: `{"lang":{}}`, fails: true},
		{name: "author as a string", input: `{"author":"jdupont"}`, fails: true},
		{name: "author as an array", input: `{"author":[]}`, fails: true},
		{name: "geo as an array", input: `{"geo":[1,2]}`, fails: true},
		{name: "sentiment as a number", input: `{"sentiment":-0.5}`, fails: true},
		{name: "hashtags as a string", input: `{"hashtags":"a"}`, fails: true},
		{name: "hashtags as an object", input: `{"hashtags":{}}`, fails: true},
		{name: "hashtag as a number", input: `{"hashtags":["a",1]}`, fails: true},
		{name: "term as a string", input: `{"sentiment":{"terms":["x"]}}`, fails: true},
		{name: "span as an array", input: `{"charter":[{"spans":[[]]}]}`, fails: true},
		{name: "severity as a float", input: `{"charter":[{"severity":2.5}]}`, fails: true},
		{name: "type error before a syntax error", input: `{"id":1,"x":}`, fails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := checkDecoding(t, tc.input)
			if (err != nil) != tc.fails {
				t.Fatalf("err = %v, want failure %v", err, tc.fails)
			}
			if err == nil && tc.check != nil && !tc.check(m) {
				t.Fatalf("unexpected value %+v", m)
			}
		})
	}
}

func TestUnmarshalFixtures(t *testing.T) {
	for name, m := range fixtures() {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { checkDecoding(t, string(b)) })
	}
}

func TestUnmarshalErrorNamesField(t *testing.T) {
	for _, tc := range []struct{ input, field, text string }{
		{`{"created_at":"yesterday"}`, "created_at", "mention: field created_at: parsing time"},
		{`{"likes":1.5}`, "likes", "mention: field likes: cannot decode number 1.5 into an integer (offset 9)"},
		{`{"author":{"followers":"many"}}`, "author.followers", "mention: field author.followers: cannot decode a JSON string into an integer"},
		{`{"AUTHOR":{"Verified":1}}`, "author.verified", "mention: field author.verified: "},
		{`{"sentiment":{"terms":[{},{"weight":1e999}]}}`, "sentiment.terms[1].weight", "mention: field sentiment.terms[1].weight: "},
		{`{"charter":[{"spans":[{"start":0},{"text":"a\q"}]}]}`, "charter[0].spans[1].text", "mention: field charter[0].spans[1].text: invalid character 'q' in string escape code (offset 45)"},
		{`{"hashtags":["a",true]}`, "hashtags[1]", "mention: field hashtags[1]: cannot decode a JSON bool into a string"},
		{`{"geo":{"lat":1,}}`, "geo", "mention: field geo: invalid character '}' looking for beginning of object key string"},
		{`{"text":"abc`, "text", "mention: field text: unexpected end of JSON input (offset 12)"},
		{`{"x":[1,2}`, "", "mention: invalid character '}' after array element (offset 9)"},
		{`{} {}`, "", "mention: invalid character '{' after top-level value (offset 3)"},
	} {
		_, err := Unmarshal([]byte(tc.input))
		var ce *CodecError
		if !errors.As(err, &ce) || ce.Field != tc.field || !strings.HasPrefix(err.Error(), tc.text) {
			t.Errorf("Unmarshal(%s): err = %v, want field %q and a message starting %q", tc.input, err, tc.field, tc.text)
		}
	}
	_, err := Unmarshal([]byte(`{"created_at":"2026-13-01T00:00:00Z"}`))
	var pe *time.ParseError
	if !errors.As(err, &pe) {
		t.Errorf("a bad time does not wrap the *time.ParseError: %v", err)
	}
}

// TestFoldingRunes backs matchKey: among non-ASCII runes, only U+017F and
// U+212A share a simple-folding orbit with an ASCII letter, so only they
// can make a key match a field name under encoding/json's folding.
func TestFoldingRunes(t *testing.T) {
	var got []rune
	for r := rune(utf8RuneSelf); r <= unicode.MaxRune; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < utf8RuneSelf {
				got = append(got, r)
				break
			}
		}
	}
	if !reflect.DeepEqual(got, []rune{'\u017f', '\u212a'}) {
		t.Fatalf("non-ASCII runes folding to ASCII: %q", got)
	}
}

const utf8RuneSelf = 0x80

func TestUnmarshalAllocations(t *testing.T) {
	data, _ := json.Marshal(benchMention())
	// The mention, the copy of the input, and one slice per array field
	// (hashtags, mentions, watches, terms) and one for the sentiment.
	if n := testing.AllocsPerRun(20, func() { _, _ = Unmarshal(data) }); n > 7 {
		t.Errorf("Unmarshal allocates %v times, want at most 7", n)
	}
}
