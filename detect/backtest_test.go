package detect

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunCSVErrorsNameTheLine(t *testing.T) {
	rows := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "2014-04-01 00:%02d:00,%d\n", i, i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "empty input"},
		{"header only", "timestamp,value\n", "no data rows"},
		{"no header", "2014-04-01 00:00:00,1\n", `line 1: header "2014-04-01 00:00:00,1"`},
		{"bad value", "timestamp,value\n" + rows(15) + "2014-04-01 00:15:00,abc\n", `line 17: value "abc": not a number`},
		{"infinite value", "timestamp,value\n2014-04-01 00:00:00,+Inf\n", `line 2: value "+Inf": not a number`},
		{"bad timestamp", "timestamp,value\n" + rows(2) + "yesterday,3\n", `line 4: timestamp "yesterday"`},
		{"missing field", "timestamp,value\n" + rows(1) + "2014-04-01 00:01:00\n", "line 3: 1 fields: want at least 2"},
		{"bad quote", "timestamp,value\n" + rows(3) + "\"2014-04-01 00:03:00,4\n", "line 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := RunCSV(strings.NewReader(tc.in), &out, CSVOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if err := RunCSV(strings.NewReader(""), &bytes.Buffer{}, CSVOptions{}); !errors.Is(err, ErrEmptyInput) {
		t.Errorf("empty input: err = %v, want ErrEmptyInput", err)
	}
}

// spiky is a regular series with a level of 10 ± 1, a spike at row
// spikeAt, an optional gap and duplicated rows.
func spiky(n, spikeAt int, step time.Duration, gapFrom, gapLen int, dups ...int) string {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	t := time.Date(2014, 4, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		if i == gapFrom {
			t = t.Add(time.Duration(gapLen) * step)
		}
		v := 10.0 + float64((i*7)%5-2)/2
		if i == spikeAt {
			v = 60
		}
		line := fmt.Sprintf("%s,%g\n", t.Format("2006-01-02 15:04:05"), v)
		b.WriteString(line)
		for _, d := range dups {
			if d == i {
				b.WriteString(line)
			}
		}
		t = t.Add(step)
	}
	return b.String()
}

func readOutput(t *testing.T, out string) [][]string {
	t.Helper()
	rec, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rec[0], ",") != "timestamp,value,anomaly_score" {
		t.Fatalf("header %v", rec[0])
	}
	return rec[1:]
}

func TestRunCSVMarksTheOpeningRow(t *testing.T) {
	const n, spikeAt = 2000, 1500
	in := spiky(n, spikeAt, 5*time.Minute, 900, 30, 1000, 1001) // a 2.5 h gap and two duplicates
	var out bytes.Buffer
	if err := RunCSV(strings.NewReader(in), &out, CSVOptions{}); err != nil {
		t.Fatal(err)
	}
	rows := readOutput(t, out.String())
	if len(rows) != n+2 {
		t.Fatalf("%d output rows, want %d (one per input row)", len(rows), n+2)
	}
	var ones []int
	for i, r := range rows {
		if r[2] == "1" {
			ones = append(ones, i)
		} else if r[2] != "0" {
			t.Fatalf("row %d: score %q, want 0 or 1", i, r[2])
		}
	}
	// Input rows 1000 and 1001 are each followed by their duplicate.
	if len(ones) != 1 || ones[0] != spikeAt+2 {
		t.Errorf("rows marked 1: %v, want only the spike at output row %d", ones, spikeAt+2)
	}
	if rows[1000][0] != rows[1001][0] || rows[1001][2] != "0" {
		t.Errorf("duplicate row: %v then %v", rows[1000], rows[1001])
	}

	out.Reset()
	if err := RunCSV(strings.NewReader(in), &out, CSVOptions{Graded: true}); err != nil {
		t.Fatal(err)
	}
	graded := readOutput(t, out.String())
	var s float64
	for i, r := range graded {
		if _, err := fmt.Sscan(r[2], &s); err != nil || s < 0 || s >= 1 {
			t.Fatalf("row %d: graded score %q outside [0, 1)", i, r[2])
		}
		if i == spikeAt+2 && s < 0.5 {
			t.Errorf("graded score at the spike = %v, want >= 0.5", s)
		}
	}
}

func TestRunCSVTimestampFormats(t *testing.T) {
	in := "value,timestamp,extra\n1,2014-04-01T00:00:00Z,x\n2,2014-04-01T01:00:00+01:00,y\n3,2014-04-01T00:10:00.5Z,z\n"
	var out bytes.Buffer
	if err := RunCSV(strings.NewReader(in), &out, CSVOptions{}); err != nil {
		t.Fatal(err)
	}
	rows := readOutput(t, out.String())
	// The second row is the same instant as the first: not used.
	if len(rows) != 3 || rows[1][0] != "2014-04-01T01:00:00+01:00" || rows[2][1] != "3" {
		t.Errorf("rows = %v", rows)
	}
}

func TestRunDirMirrorsTheTree(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	for _, f := range []struct{ path, body string }{
		{"catA/one.csv", spiky(400, 300, time.Minute, -1, 0)},
		{"catB/two.csv", spiky(400, 350, time.Hour, -1, 0)},
		{"catB/bad.csv", "timestamp,value\n2014-04-01 00:00:00,zero\n"},
		{"catB/notes.txt", "not a series"},
	} {
		p := filepath.Join(in, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var progress bytes.Buffer
	err := RunDir(in, out, CSVOptions{}, &progress)
	if err == nil || !strings.Contains(err.Error(), filepath.Join("catB", "bad.csv")+`: line 2: value "zero"`) {
		t.Errorf("err = %v, want the bad file and line named", err)
	}
	for _, p := range []string{"catA/one.csv", "catB/two.csv"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("output %s: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "catB/bad.csv")); !os.IsNotExist(err) {
		t.Errorf("a failed file left an output behind: %v", err)
	}
	if n := strings.Count(progress.String(), "\n"); n != 3 {
		t.Errorf("progress has %d lines, want 3:\n%s", n, progress.String())
	}
	if err := RunDir(t.TempDir(), out, CSVOptions{}, nil); !errors.Is(err, ErrEmptyInput) {
		t.Errorf("empty directory: err = %v, want ErrEmptyInput", err)
	}
}
