package main

import (
	"regexp"
	"strings"
	"testing"
)

// vigie bench runs the whole pipeline on a managed ClickHouse, once per
// run on fresh servers, and ends with a line scripts can read.
func TestBenchRunsAndPrintsTheMedian(t *testing.T) {
	if testing.Short() {
		t.Skip("starts NATS and ClickHouse twice")
	}
	out, err := run(t, "", "bench", "--n", "3000", "--runs", "2")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.Count(out, "end to end: 3000 mentions ("); got != 2 {
		t.Fatalf("%d runs stored all 3000 mentions, want 2:\n%s", got, out)
	}
	if !regexp.MustCompile(`(?m)^bench: mentions=3000 runs=2 rate=\d+ mentions/s \(median; min \d+, max \d+\) analyzer=pass-through$`).MatchString(out) {
		t.Fatalf("no summary line:\n%s", out)
	}
}

func TestBenchRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--runs", "0"}, {"--n", "0"}, {"--analyzer", "fast"}} {
		_, err := run(t, "", append([]string{"bench"}, args...)...)
		if err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("bench %v: error %v, want one naming %s", args, err, args[0])
		}
	}
}
