package detect

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CSVOptions tune the offline backtest.
type CSVOptions struct {
	// Config is the detector configuration. Step is always set from the
	// data (the median spacing of the rows), Continuous from Counts and
	// Drops from UpOnly; the rest keeps its defaults when zero.
	Config Config
	// Counts says the values are event counts (mentions per step), so the
	// count test with its Poisson floor applies. By default values are
	// taken as measurements.
	Counts bool
	// UpOnly opens on surges only, as watches do. By default the backtest
	// also opens on improbable drops: a metric can fail either way.
	UpOnly bool
	// Graded writes the detector's score in [0, 1) (0.5 at the open
	// threshold) instead of 1 on the opening row and 0 elsewhere.
	Graded bool
}

// ErrEmptyInput is returned for a CSV with no header or no rows.
var ErrEmptyInput = errors.New("detect: empty input")

// csvRow is one parsed data row.
type csvRow struct {
	ts    string // as written, echoed to the output
	t     time.Time
	value float64
	raw   string
}

// RunCSV reads a "timestamp,value" series (header required, other columns
// ignored), runs it through the detector as one volume series and writes
// "timestamp,value,anomaly_score": 1 on each row where a crisis opens, 0
// elsewhere (or the graded score). Rows that are not after the previous
// one (duplicates, out of order) are written with 0 and not used. Errors
// name the line.
func RunCSV(in io.Reader, out io.Writer, opts CSVOptions) error {
	_, err := runCSV(in, out, opts)
	return err
}

// csvStats says what a run did, for progress lines.
type csvStats struct {
	rows, opened, ignored int
	step                  time.Duration
}

func runCSV(in io.Reader, out io.Writer, opts CSVOptions) (csvStats, error) {
	var st csvStats
	rows, err := readSeries(in)
	if err != nil {
		return st, err
	}
	cfg := opts.Config
	cfg.Windows = append([]time.Duration(nil), cfg.Windows...)
	cfg.Continuous, cfg.Drops = !opts.Counts, !opts.UpOnly
	cfg.Step = inferStep(rows)
	det, err := NewDetector("csv", cfg)
	if err != nil {
		return st, err
	}
	st.rows, st.step = len(rows), cfg.Step
	// Measurements below zero (a temperature) are shifted so the series
	// starts at zero: the model is multiplicative and needs a true zero.
	offset := 0.0
	for _, r := range rows {
		offset = math.Min(offset, r.value)
	}
	bw := bufio.NewWriter(out)
	w := csv.NewWriter(bw)
	if err := w.Write([]string{"timestamp", "value", "anomaly_score"}); err != nil {
		return st, err
	}
	rec := make([]string, 3)
	for _, r := range rows {
		v, ev := det.Step(Minute{Start: r.t, Volume: r.value - offset})
		opened := ev != nil && ev.Status == StatusOpen && !ev.Reopened
		s := 0.0
		switch {
		case v.Ignored != "":
			st.ignored++
		case opts.Graded:
			s = v.Graded
		case opened:
			s = 1
		}
		if opened {
			st.opened++
		}
		rec[0], rec[1], rec[2] = r.ts, r.raw, strconv.FormatFloat(s, 'f', -1, 64)
		if err := w.Write(rec); err != nil {
			return st, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return st, err
	}
	return st, bw.Flush()
}

// readSeries parses the whole input.
func readSeries(in io.Reader) ([]csvRow, error) {
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: want a header line \"timestamp,value\"", ErrEmptyInput)
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("line %d: %w", pe.StartLine, pe.Err)
		}
		return nil, err
	}
	tcol, vcol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "timestamp":
			tcol = i
		case "value":
			vcol = i
		}
	}
	if tcol < 0 || vcol < 0 {
		return nil, fmt.Errorf("line 1: header %q: want columns timestamp and value", strings.Join(header, ","))
	}
	need := max(tcol, vcol) + 1
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("line %d: %w", pe.StartLine, pe.Err)
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) < need {
			return nil, fmt.Errorf("line %d: %d fields: want at least %d", line, len(rec), need)
		}
		ts, raw := strings.TrimSpace(rec[tcol]), strings.TrimSpace(rec[vcol])
		t, err := parseTime(ts)
		if err != nil {
			return nil, fmt.Errorf("line %d: timestamp %q: %w", line, ts, err)
		}
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || !finite(v) {
			return nil, fmt.Errorf("line %d: value %q: not a number", line, raw)
		}
		rows = append(rows, csvRow{ts: ts, t: t, value: v, raw: raw})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no data rows after the header", ErrEmptyInput)
	}
	return rows, nil
}

var errTimeFormat = errors.New("want 2006-01-02 15:04:05 or RFC 3339")

// parseTime reads NAB's "2014-04-01 00:00:00" (optionally with fractional
// seconds) or RFC 3339; times without a zone are UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errTimeFormat
}

// inferStep is the median positive gap between consecutive rows, at least
// one second; one minute when there is no gap to measure.
func inferStep(rows []csvRow) time.Duration {
	gaps := make([]time.Duration, 0, len(rows))
	for i := 1; i < len(rows); i++ {
		if g := rows[i].t.Sub(rows[i-1].t); g > 0 {
			gaps = append(gaps, g)
		}
	}
	if len(gaps) == 0 {
		return time.Minute
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	return max(gaps[len(gaps)/2].Round(time.Second), time.Second)
}

// RunDir runs RunCSV on every .csv file under inDir and writes each result
// at the same relative path under outDir, printing one line per file to
// progress (which may be nil). It goes on after a bad file and returns
// all the errors, each naming its file.
func RunDir(inDir, outDir string, opts CSVOptions, progress io.Writer) error {
	if progress == nil {
		progress = io.Discard
	}
	var files []string
	err := filepath.WalkDir(inDir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !de.IsDir() && strings.EqualFold(filepath.Ext(p), ".csv") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: no .csv file under %s", ErrEmptyInput, inDir)
	}
	sort.Strings(files)
	var errs []error
	for i, p := range files {
		rel, err := filepath.Rel(inDir, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		dst := filepath.Join(outDir, rel)
		st, err := runFile(p, dst, opts)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rel, err))
			fmt.Fprintf(progress, "[%d/%d] %s: error: %v\n", i+1, len(files), rel, err)
			continue
		}
		fmt.Fprintf(progress, "[%d/%d] %s: %d rows, step %v, %d crises opened, %d rows skipped\n",
			i+1, len(files), rel, st.rows, st.step, st.opened, st.ignored)
	}
	return errors.Join(errs...)
}

// runFile runs one file.
func runFile(src, dst string, opts CSVOptions) (csvStats, error) {
	in, err := os.Open(src)
	if err != nil {
		return csvStats{}, err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return csvStats{}, err
	}
	out, err := os.Create(dst)
	if err != nil {
		return csvStats{}, err
	}
	st, err := runCSV(bufio.NewReader(in), out, opts)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return csvStats{}, err
	}
	return st, nil
}
