package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/vigie-project/vigie/app"
	"github.com/vigie-project/vigie/config"
	"github.com/vigie-project/vigie/deploy"
	"github.com/vigie-project/vigie/ingest/simulate"
)

// demoMarker marks a data directory the demo may wipe.
const demoMarker = ".vigie-demo"

func demoCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run everything on a simulated crisis and show where to look",
		Long: "Runs the whole pipeline in one process — embedded NATS, a managed local ClickHouse,\n" +
			"the simulator replaying a week of quiet history then a bad buzz at high speed —\n" +
			"prints where to look and a live summary, and on exit the line\n" +
			"  demo: generated=N stored=M crises=K alerts=A\n" +
			"Without -c it uses the built-in demo configuration (deploy/demo/vigie.yaml).",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := demoConfig(cmd)
			if err != nil {
				return err
			}
			if err := resetDemoDir(cfg.DataDir); err != nil {
				return err
			}
			logPath := filepath.Join(cfg.DataDir, "vigie.log")
			logf, err := os.Create(logPath)
			if err != nil {
				return err
			}
			defer logf.Close()
			log := newLogger(cfg, logf)
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "starting NATS and ClickHouse (logs: %s)…\n", logPath)
			a, err := app.Open(cmd.Context(), cfg, log)
			if err != nil {
				return err
			}
			defer a.Close()
			dur, _ := cmd.Flags().GetDuration("for")
			_, err = a.RunDemo(cmd.Context(), app.DemoOptions{For: dur, Out: out})
			return err
		},
	}
	cmd.Flags().Duration("for", 0, "stop by itself after this long (e.g. 2m); default: until interrupted")
	return cmd
}

func demoConfig(cmd *cobra.Command) (*config.Config, error) {
	if cmd.Flags().Changed("config") {
		return loadConfig(cmd)
	}
	return config.Parse(deploy.DemoConfig, "deploy/demo/vigie.yaml (built in)")
}

// resetDemoDir empties the demo's data directory so the counts are this
// run's; it refuses a non-empty directory it did not create.
func resetDemoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fmt.Errorf("data_dir %s is not empty and was not made by the demo; choose another data_dir", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("made by vigie demo; deleted at the next demo\n"), 0o644)
}

func benchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure end-to-end throughput: mentions/s from publish to stored row",
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, _ := cmd.Flags().GetInt("n")
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
			dir, err := os.MkdirTemp("", "vigie-bench-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			cfg.DataDir = dir
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
			logf, err := os.Create(filepath.Join(dir, "vigie.log"))
			if err != nil {
				return err
			}
			defer logf.Close()
			a, err := app.Open(cmd.Context(), cfg, newLogger(cfg, logf))
			if err != nil {
				return err
			}
			defer a.Close()
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
			fmt.Fprintf(out, "publishing and storing through NATS JetStream and ClickHouse (%s)…\n", a.ClickHouseAddr())
			r, err := a.RunBench(cmd.Context(), ms, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
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
			return nil
		},
	}
	cmd.Flags().Int("n", 200000, "how many mentions")
	cmd.Flags().String("analyzer", "pass-through", "analysis to run: pass-through (watches only) or full")
	cmd.Flags().String("cpuprofile", "", "write a CPU profile of the run (vigie's process, not ClickHouse) to this file")
	cmd.Flags().String("memprofile", "", "write an allocation profile of the run (vigie's process) to this file")
	return cmd
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
