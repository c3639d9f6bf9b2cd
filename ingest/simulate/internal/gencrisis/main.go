// Command gencrisis writes the recorded demo crisis, deploy/demo/crisis.jsonl:
// six hours around an Air France bad buzz (onset Monday 5 October 2026,
// 09:30 Paris time) with two competitors, one JSON mention per line.
//
//	go run ./ingest/simulate/internal/gencrisis > deploy/demo/crisis.jsonl
//
// The output depends only on the code: run it again after changing the
// simulator's phrases or rhythms, and commit the new file.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vigie-project/vigie/ingest/simulate"
	"github.com/vigie-project/vigie/mention"
)

// The recorded window: quiet before the onset, then the ramp, the peak and
// hours of decay.
const (
	quietBefore = 90 * time.Minute
	after       = 4*time.Hour + 30*time.Minute
	volumeScale = 0.5 // of the demo's volumes, to keep the file a few thousand lines
)

func main() {
	w := bufio.NewWriter(os.Stdout)
	err := write(w)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencrisis:", err)
		os.Exit(1)
	}
}

// config returns the recording's configuration and window.
func config() (cfg simulate.Config, from, to time.Time) {
	onset := time.Date(2026, 10, 5, 7, 30, 0, 0, time.UTC) // 09:30 in Paris
	cfg = simulate.Demo()
	for i := range cfg.Brands {
		cfg.Brands[i].BasePerMinute *= volumeScale
	}
	cfg.Crisis.OnsetBeforeNow = 90 * time.Minute
	// Generate plays the timeline of a run started at from+History, whose
	// onset is OnsetBeforeNow earlier.
	cfg.History = quietBefore + cfg.Crisis.OnsetBeforeNow
	return cfg, onset.Add(-quietBefore), onset.Add(after)
}

func write(w io.Writer) error {
	cfg, from, to := config()
	return simulate.Generate(cfg, from, to, func(m *mention.Mention) error {
		b, err := mention.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode %s: %w", m.ID, err)
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		return nil
	})
}
