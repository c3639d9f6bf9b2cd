package twitter

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	gotwitter "github.com/dghubble/go-twitter/twitter"
)

func TestPlatformLang(t *testing.T) {
	for in, want := range map[string]string{
		"fr": "fr", "EN": "en", "und": "", "zxx": "", "qme": "", "qht": "", "in": "id", "iw": "he", "zh-tw": "zh-tw", "": "",
	} {
		if got := platformLang(in); got != want {
			t.Errorf("platformLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConvertRejects(t *testing.T) {
	now := time.Date(2024, 11, 14, 7, 0, 0, 0, time.UTC)
	user := &gotwitter.User{IDStr: "1", ScreenName: "a"}
	for _, c := range []struct {
		t    gotwitter.Tweet
		want error
	}{
		{gotwitter.Tweet{IDStr: "x1", CreatedAt: "Thu Nov 14 06:01:12 +0000 2024", User: user}, errNoID},
		{gotwitter.Tweet{IDStr: "1", CreatedAt: "2024-11-14", User: user}, errNoCreated},
		{gotwitter.Tweet{ID: 5, CreatedAt: "Thu Nov 14 06:01:12 +0000 2024"}, errNoUser},
	} {
		if _, err := convert(&c.t, now); !errors.Is(err, c.want) {
			t.Errorf("convert(%+v) = %v, want %v", c.t, err, c.want)
		}
	}
	m, err := convert(&gotwitter.Tweet{ID: 5, CreatedAt: "Thu Nov 14 06:01:12 +0000 2024", User: user, Text: "x",
		Coordinates: &gotwitter.Coordinates{Type: "Point", Coordinates: [2]float64{200, 10}}}, now)
	if err != nil || m.ID != "twitter:5" || m.Geo != nil {
		t.Errorf("id from the number, no geo out of range: %+v %v", m, err)
	}
}

func TestLooseTweet(t *testing.T) {
	var m map[string]any
	_ = json.Unmarshal([]byte(`{"id_str":"7","created_at":"Thu Nov 14 06:01:12 +0000 2024","text":"hi","user":{"id_str":"1","screen_name":"a"}}`), &m)
	tw, ok := looseTweet(m)
	if !ok || tw.IDStr != "7" || tw.User.ScreenName != "a" {
		t.Fatalf("looseTweet = %+v, %v", tw, ok)
	}
	if _, ok := looseTweet(map[string]any{"friends": []any{1}}); ok {
		t.Error("a friends list is not a tweet")
	}
}
