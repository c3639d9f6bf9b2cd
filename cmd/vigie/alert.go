package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	alertstage "github.com/vigie-project/vigie/alerting/stage"
	"github.com/vigie-project/vigie/bus"
)

func alertCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "alert", Short: "Alerting tools: test a receiver, acknowledge an alert"}
	test := &cobra.Command{
		Use:   "test --receiver NAME",
		Short: "Send a test notification through one receiver of the configuration",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			if cfg.Alerting == nil {
				return errors.New("the configuration has no alerting section")
			}
			name, _ := cmd.Flags().GetString("receiver")
			lang, _ := cmd.Flags().GetString("lang")
			if err := alertstage.Test(cmd.Context(), *cfg.Alerting, name, lang); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "test notification sent to %s / notification de test envoyée à %s\n", name, name)
			return nil
		},
	}
	test.Flags().String("receiver", "", "receiver name (alerting.receivers[].name)")
	test.Flags().String("lang", "", "fr or en (default: the receiver's language)")
	_ = test.MarkFlagRequired("receiver")

	ack := &cobra.Command{
		Use:   "ack ID --by NAME",
		Short: "Acknowledge an alert on the running server (stops escalation)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			by, _ := cmd.Flags().GetString("by")
			if err := alertstage.Ack(cmd.Context(), cfg.HTTP.PublicURL, args[0], by, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "acknowledged %s by %s / acquittée\n", args[0], by)
			return nil
		},
	}
	ack.Flags().String("by", "", "who acknowledges (shown to the others)")
	_ = ack.MarkFlagRequired("by")
	cmd.AddCommand(test, ack)
	return cmd
}

func drillCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "drill --watch W",
		Short: "On-call rehearsal: inject a synthetic crisis (marked DRILL / EXERCICE) and report the delivery latency per receiver",
		Long: "Publishes a drill crisis on the running pipeline's NATS, waits until every routed receiver\n" +
			"got it (or failed), resolves it, and prints the end-to-end latency per receiver. It talks to\n" +
			"the running server's NATS: nats.url from the configuration, or --nats (vigie demo prints it).",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			watch, _ := cmd.Flags().GetString("watch")
			if u, _ := cmd.Flags().GetString("nats"); u != "" {
				cfg.NATS.URL, cfg.NATS.Listen = u, ""
			}
			if cfg.NATS.URL == "" {
				return errors.New("drill needs the running server's NATS: set nats.url, or pass --nats nats://127.0.0.1:PORT (vigie demo prints it)")
			}
			b, err := bus.Open(cmd.Context(), cfg.NATS, cfg.DataDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				return err
			}
			defer b.Close()
			res, err := alertstage.Drill(cmd.Context(), b, watch, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "drill %s on %s / exercice\n", res.Key, res.Watch)
			for _, r := range res.Receivers {
				status := "sent"
				if !r.Sent {
					status = "FAILED: " + r.Error
				}
				fmt.Fprintf(out, "  %-20s open %8s  resolved %8s  %s\n", r.Receiver, r.Latency.Round(1e5), r.ResolvedLatency.Round(1e5), status)
			}
			return nil
		},
	}
	cmd.Flags().String("watch", "", "watch id to drill")
	cmd.Flags().String("nats", "", "the running server's NATS URL")
	_ = cmd.MarkFlagRequired("watch")
	return cmd
}
