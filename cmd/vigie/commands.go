package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigie-project/vigie/app"
	"github.com/vigie-project/vigie/config"
	"github.com/vigie-project/vigie/store"
)

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "vigie",
		Short:         "E-reputation listening and crisis alerting / Veille e-réputation et alerte de crise",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringP("config", "c", "vigie.yaml", "configuration file")
	root.AddCommand(serveCmd(), demoCmd(), migrateCmd(), configCmd(), benchCmd(), scoreCmd(), detectCmd(), alertCmd(), drillCmd())
	return root
}

func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	path, _ := cmd.Flags().GetString("config")
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if roles, _ := cmd.Flags().GetString("roles"); roles != "" {
		cfg.Roles = strings.Split(roles, ",")
		if err := cfg.Validate(); err != nil {
			return nil, fmt.Errorf("--roles: %w", err)
		}
	}
	return cfg, nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the pipeline: collectors, analyzers, writers (or the --roles given)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log := newLogger(cfg, os.Stderr)
			a, err := app.Open(cmd.Context(), cfg, log)
			if err != nil {
				return err
			}
			defer a.Close()
			log.Info("vigie_started", "roles", strings.Join(cfg.Roles, ","), "http", cfg.HTTP.Listen)
			return a.Run(cmd.Context())
		},
	}
	cmd.Flags().String("roles", "", "comma-separated roles to run: ingest,analyze,write (default: all)")
	return cmd
}

func migrateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the ClickHouse migrations",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log := newLogger(cfg, os.Stderr)
			a, err := app.Open(cmd.Context(), cfg, log) // Open migrates
			if err != nil {
				return err
			}
			a.Close()
			fmt.Fprintln(cmd.OutOrStdout(), "migrations: up to date")
			return nil
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "List the migrations and when each was applied",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			chCfg := cfg.ClickHouse
			var local *store.LocalServer
			if chCfg.Addr == "" {
				local, err = store.StartLocal(ctx, cfg.DataDir+"/clickhouse", chCfg.Binary, newLogger(cfg, io.Discard))
				if err != nil {
					return err
				}
				defer local.Stop()
				chCfg.Addr = local.Addr()
			}
			conn, err := store.Open(ctx, chCfg)
			if err != nil {
				return err
			}
			defer conn.Close()
			st, err := store.Status(ctx, conn, store.RenderOptions{Database: chCfg.Database, Cluster: chCfg.Cluster})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			for _, s := range st {
				at := "pending"
				if !s.AppliedAt.IsZero() {
					at = "applied " + s.AppliedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%04d  %-24s %s\n", s.Version, s.Name, at)
			}
			return nil
		},
	})
	return cmd
}

func configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Configuration tools"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate a configuration file and print it with defaults (secrets hidden)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return errSilent
			}
			path, _ := cmd.Flags().GetString("config")
			fmt.Fprintf(cmd.OutOrStdout(), "# %s: valid\n", path)
			return config.Dump(cmd.OutOrStdout(), cfg)
		},
	})
	return cmd
}
