package twitter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Twitter's documented example ("Creating a signature"): the same
// parameters, the same signature base string, the same signature.
func TestOAuth1TwitterExample(t *testing.T) {
	u, _ := url.Parse("https://api.twitter.com/1/statuses/update.json?include_entities=true")
	params := url.Values{
		"status":                 {"Hello Ladies + Gentlemen, a signed OAuth request!"},
		"include_entities":       {"true"},
		"oauth_consumer_key":     {"xvz1evFS4wEEPTGEFPHBog"},
		"oauth_nonce":            {"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"},
		"oauth_signature_method": {"HMAC-SHA1"},
		"oauth_timestamp":        {"1318622958"},
		"oauth_token":            {"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"},
		"oauth_version":          {"1.0"},
	}
	const wantBase = "POST&https%3A%2F%2Fapi.twitter.com%2F1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
	if got := signatureBase("POST", u, params); got != wantBase {
		t.Fatalf("base string\n got %s\nwant %s", got, wantBase)
	}
	s := &oauth1Signer{creds: testCreds}
	if got := s.sign("POST", u, params); got != "tnnArxj06cWHq44gCs1OSKk/jLY=" {
		t.Fatalf("signature %s, want tnnArxj06cWHq44gCs1OSKk/jLY=", got)
	}
}

// The whole request: a form body is signed and still sent.
func TestOAuth1Header(t *testing.T) {
	s := &oauth1Signer{creds: testCreds, now: func() time.Time { return time.Unix(1318622958, 0) },
		nonce: func() string { return "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg" }}
	body := "status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21"
	req, _ := http.NewRequest("POST", "https://api.twitter.com/1/statuses/update.json?include_entities=true", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h, err := s.authorize(req)
	if err != nil {
		t.Fatal(err)
	}
	want := `OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjLY%3D", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1318622958", oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", oauth_version="1.0"`
	if h != want {
		t.Fatalf("header\n got %s\nwant %s", h, want)
	}
	if b, _ := io.ReadAll(req.Body); string(b) != body {
		t.Fatalf("body after signing: %q", b)
	}
}

func TestPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"Ladies + Gentlemen": "Ladies%20%2B%20Gentlemen", "An encoded string!": "An%20encoded%20string%21",
		"Dogs, Cats & Mice": "Dogs%2C%20Cats%20%26%20Mice", "☃": "%E2%98%83", "-._~": "-._~",
	} {
		if got := percentEncode(in); got != want {
			t.Errorf("percentEncode(%q) = %s, want %s", in, got, want)
		}
	}
}

// rewrite sends the library's hosts to the configured base URLs, with
// their path in front; other hosts go through untouched.
func TestRewrite(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Host+" "+r.URL.RequestURI())
	}))
	defer srv.Close()
	rw, err := newRewrite(srv.Client().Transport, srv.URL+"/compat/", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: rw}
	for _, u := range []string{
		"https://api.twitter.com/1.1/search/tweets.json?q=%23AirFrance",
		"https://stream.twitter.com/1.1/statuses/filter.json",
	} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	want := []string{host + " /compat/1.1/search/tweets.json?q=%23AirFrance", host + " /1.1/statuses/filter.json"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Fatalf("requests %q, want %q", seen, want)
	}
	def, _ := newRewrite(http.DefaultTransport, DefaultAPIURL, DefaultStreamURL)
	if len(def.hosts) != 0 {
		t.Errorf("the default URLs should not be rewritten: %v", def.hosts)
	}
}

// bound cancels a REST request when the run ends, and bounds it.
func TestBoundTransport(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	c := &http.Client{Transport: &bound{next: srv.Client().Transport, ctx: ctx, timeout: time.Minute}}
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := c.Get(srv.URL); err == nil {
		t.Fatal("the request outlived its run")
	}
	c = &http.Client{Transport: &bound{next: srv.Client().Transport, ctx: context.Background(), timeout: 50 * time.Millisecond}}
	if _, err := c.Get(srv.URL); err == nil {
		t.Fatal("the request outlived its timeout")
	}
}
