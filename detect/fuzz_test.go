package detect

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// FuzzRunCSV feeds arbitrary bytes to the CSV backtest: it must return an
// error or one output row per input data row, never panic or hang.
func FuzzRunCSV(f *testing.F) {
	f.Add([]byte("timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,2\n"))
	f.Add([]byte("value,timestamp\n3,2014-04-01T00:00:00Z\n-4.5,2014-04-01T00:00:00Z\n"))
	f.Add([]byte("timestamp,value\n2014-04-01 00:00:00,1e308\n2014-04-01 00:00:01,-1e308\n2099-01-01 00:00:00,0\n"))
	f.Add([]byte("timestamp,value\n\"2014-04-01 00:00:00\",\"7\"\n\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		if err := RunCSV(bytes.NewReader(in), &out, CSVOptions{}); err != nil {
			if out.Len() != 0 {
				t.Fatalf("error %v after writing %d bytes", err, out.Len())
			}
			return
		}
		rows, err := readSeries(bytes.NewReader(in))
		if err != nil {
			t.Fatalf("RunCSV accepted what readSeries rejects: %v", err)
		}
		rec, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
		if err != nil {
			t.Fatalf("output is not CSV: %v", err)
		}
		if len(rec) != len(rows)+1 {
			t.Fatalf("%d output rows for %d input rows", len(rec)-1, len(rows))
		}
	})
}
