package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/vigie-project/vigie/app"
	"github.com/vigie-project/vigie/config"
	"github.com/vigie-project/vigie/deploy"
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
