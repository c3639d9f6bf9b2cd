package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := newRoot()
	var out, errb bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestScoreLinesInOrder(t *testing.T) {
	in := "Vol Air France annulé, encore. Honteux !!\nGreat crew on my Air France flight today :)\n\nmon IBAN FR76 3000 6000 0112 3456 7890 189\nEt si on proposait le wifi gratuit à bord ?\n"
	out, err := run(t, in, "score", "--employee", "-c", "../../deploy/demo/vigie.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d output lines for 5 input lines:\n%s", len(lines), out)
	}
	var got []scored
	for _, l := range lines {
		var s scored
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		got = append(got, s)
	}
	if got[0].Sentiment.Label != "negative" || got[0].Lang != "fr" || len(got[0].Watches) != 1 || got[0].Watches[0] != "airfrance" {
		t.Errorf("line 1: %+v", got[0])
	}
	if got[1].Sentiment.Label != "positive" || got[1].Lang != "en" {
		t.Errorf("line 2: %+v", got[1])
	}
	if got[2].Sentiment.Label != "neutral" {
		t.Errorf("empty line: %+v", got[2])
	}
	if len(got[3].Charter) == 0 || got[3].Charter[0].Category != "personal_data" || strings.Contains(lines[3], "0112 3456") {
		t.Errorf("line 4: IBAN not flagged or not masked: %s", lines[3])
	}
	if !got[4].Idea {
		t.Errorf("line 5: idea not seen: %s", lines[4])
	}
}

func TestScoreJSONLBadLineKeepsAlignment(t *testing.T) {
	in := `{"id":"x:1","source":"x","created_at":"2026-11-01T10:00:00Z","text":"super vol, merci"}` + "\n{oops\n" +
		`{"id":"x:2","source":"x","created_at":"2026-11-01T10:00:00Z","text":"flight cancelled, disgrace","lang":"en"}` + "\n"
	out, err := run(t, in, "score", "--jsonl")
	if err == nil {
		t.Fatal("want a non-zero exit for a bad line")
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], `"line":2`) || !strings.Contains(lines[2], `"negative"`) {
		t.Fatalf("output:\n%s", out)
	}
}

func TestScoreForcedLang(t *testing.T) {
	out, err := run(t, "pain\n", "score", "--lang", "fr")
	if err != nil || !strings.Contains(out, `"lang":"fr"`) {
		t.Fatalf("%v %s", err, out)
	}
	if _, err := run(t, "x\n", "score", "--lang", "de"); err == nil {
		t.Fatal("--lang de accepted")
	}
}
