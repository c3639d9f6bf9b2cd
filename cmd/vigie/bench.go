package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"

	"github.com/spf13/cobra"

	"github.com/vigie-project/vigie/app"
	"github.com/vigie-project/vigie/config"
	"github.com/vigie-project/vigie/deploy"
	"github.com/vigie-project/vigie/ingest/simulate"
	"github.com/vigie-project/vigie/mention"
)

func benchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure end-to-end throughput: mentions/s from publish to stored row",
		Long: `Measure end-to-end throughput: mentions/s from the first publish to the
last row stored, through embedded NATS JetStream, the analyzer, the writer
and a managed ClickHouse, each run on fresh data directories.

Throughput on a shared or virtual machine varies from run to run: use
--runs to repeat the measurement and read the median.`,
		RunE: runBench,
	}
	cmd.Flags().Int("n", 200000, "how many mentions")
	cmd.Flags().Int("runs", 1, "how many times to measure (fresh NATS and ClickHouse each time); prints the median")
	cmd.Flags().String("analyzer", "pass-through", "analysis to run: pass-through (watches only) or full")
	cmd.Flags().String("cpuprofile", "", "write a CPU profile of the runs (vigie's process, not ClickHouse) to this file")
	cmd.Flags().String("memprofile", "", "write an allocation profile of the runs (vigie's process) to this file")
	return cmd
}

func runBench(cmd *cobra.Command, _ []string) error {
	n, _ := cmd.Flags().GetInt("n")
	runs, _ := cmd.Flags().GetInt("runs")
	if n < 1 {
		return fmt.Errorf("--n: must be at least 1, got %d", n)
	}
	if runs < 1 {
		return fmt.Errorf("--runs: must be at least 1, got %d", runs)
	}
	var cfg *config.Config
	var err error
	if cmd.Flags().Changed("config") {
		cfg, err = loadConfig(cmd)
	} else {
		cfg, err = config.Parse(deploy.DemoConfig, "deploy/demo/vigie.yaml (built in)")
	}
	if err != nil {
		return err
	}
	cfg.NATS.Listen = ""
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Roles = []string{config.RoleAnalyze, config.RoleWrite}
	mode, _ := cmd.Flags().GetString("analyzer")
	cfg.Analyzer.Mode = mode
	if err := cfg.Analyzer.Validate(); err != nil {
		return fmt.Errorf("--analyzer: %w", err)
	}
	sim := cfg.Sources.Simulate
	if sim == nil {
		sim = &simulate.Config{}
	}
	cfg.Sources = config.Sources{}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "generating %d mentions…\n", n)
	ms, err := app.BenchMentions(*sim, n)
	if err != nil {
		return err
	}
	if path, _ := cmd.Flags().GetString("cpuprofile"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if path, _ := cmd.Flags().GetString("memprofile"); path != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			if err := writeAllocProfile(path); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "vigie: bench: %v\n", err)
			}
		}()
	}
	rates := make([]float64, 0, runs)
	for i := 1; i <= runs; i++ {
		if runs > 1 {
			fmt.Fprintf(out, "run %d/%d\n", i, runs)
		}
		r, err := benchOnce(cmd.Context(), *cfg, ms, out, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		printBench(out, r, mode)
		rates = append(rates, r.Rate())
	}
	if runs > 1 {
		slices.Sort(rates)
		fmt.Fprintf(out, "bench: mentions=%d runs=%d rate=%.0f mentions/s (median; min %.0f, max %.0f) analyzer=%s\n",
			n, runs, median(rates), rates[0], rates[len(rates)-1], mode)
	}
	return nil
}

// benchOnce measures one run on fresh data directories.
func benchOnce(ctx context.Context, cfg config.Config, ms []*mention.Mention, out, progress io.Writer) (app.BenchResult, error) {
	dir, err := os.MkdirTemp("", "vigie-bench-")
	if err != nil {
		return app.BenchResult{}, err
	}
	defer os.RemoveAll(dir)
	cfg.DataDir = dir
	logf, err := os.Create(filepath.Join(dir, "vigie.log"))
	if err != nil {
		return app.BenchResult{}, err
	}
	defer logf.Close()
	a, err := app.Open(ctx, &cfg, newLogger(&cfg, logf))
	if err != nil {
		return app.BenchResult{}, err
	}
	defer a.Close()
	fmt.Fprintf(out, "publishing and storing through NATS JetStream and ClickHouse (%s)…\n", a.ClickHouseAddr())
	return a.RunBench(ctx, ms, progress)
}

func printBench(out io.Writer, r app.BenchResult, mode string) {
	fmt.Fprintf(out, "publish: %d mentions in %.2fs (%.0f/s)\n", r.Mentions, r.PublishSeconds, float64(r.Mentions)/r.PublishSeconds)
	fmt.Fprintf(out, "end to end: %d mentions (%d rows) stored in %.2fs\n", r.Mentions, r.Rows, r.TotalSeconds)
	if r.Inserts > 0 {
		fmt.Fprintf(out, "ClickHouse: %d inserts, %.0f rows and %.0f ms each on average\n",
			r.Inserts, float64(r.Rows)/float64(r.Inserts), 1e3*r.InsertSeconds/float64(r.Inserts))
	}
	fmt.Fprintf(out, "CPU: vigie %.2fs + ClickHouse %.2fs = %.1f us per mention (at most %.0f mentions/s on 2 dedicated cores)\n",
		r.VigieCPU.Seconds(), r.ClickHouseCPU.Seconds(), float64(r.CPUPerMention().Nanoseconds())/1e3,
		2/r.CPUPerMention().Seconds())
	fmt.Fprintf(out, "bench: mentions=%d seconds=%.2f rate=%.0f mentions/s analyzer=%s\n", r.Mentions, r.TotalSeconds, r.Rate(), mode)
}

func median(sorted []float64) float64 {
	k := len(sorted)
	if k%2 == 1 {
		return sorted[k/2]
	}
	return (sorted[k/2-1] + sorted[k/2]) / 2
}

// writeAllocProfile writes the allocations made so far, in pprof format.
func writeAllocProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
