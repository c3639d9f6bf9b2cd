package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigie-project/vigie/analysis"
	"github.com/vigie-project/vigie/app"
	"github.com/vigie-project/vigie/config"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
)

// scored is what `vigie score` prints for a line of text.
type scored struct {
	Lang      string                `json:"lang"`
	Sentiment *mention.Sentiment    `json:"sentiment"`
	Charter   []mention.CharterFlag `json:"charter"`
	Watches   []string              `json:"watches"`
	Entities  []string              `json:"entities,omitempty"`
	Idea      bool                  `json:"idea,omitempty"`
}

func scoreCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "score",
		Short: "Score text from stdin: one text (or JSONL mention with --jsonl) per line, one JSON object per line out",
		Long: "Reads one text per line from standard input (or one JSON mention per line with --jsonl)\n" +
			"and writes one JSON object per input line, in order, with lang, sentiment (label, score,\n" +
			"terms), charter flags and watches. Watches and charter vocabulary come from -c when given.\n" +
			"Charter rules run on every line; --employee also reads ideas and detractors.\n" +
			"A line that cannot be read gives {\"line\": N, \"error\": \"…\"} and the command exits 1 at the end.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := &config.Config{}
			if cmd.Flags().Changed("config") {
				var err error
				if cfg, err = loadConfig(cmd); err != nil {
					return err
				}
			} else {
				cfg.SetDefaults()
			}
			cfg.Analyzer.Mode = analysis.ModeFull
			cfg.Analyzer.Charter.AllPosts = true
			forced, _ := cmd.Flags().GetString("lang")
			if forced != "" && forced != "fr" && forced != "en" {
				return fmt.Errorf("--lang: must be fr or en, got %q", forced)
			}
			jsonl, _ := cmd.Flags().GetBool("jsonl")
			employee, _ := cmd.Flags().GetBool("employee")
			w, err := watch.Compile(cfg.Watches)
			if err != nil {
				return err
			}
			fn, err := app.NewAnalysisFunc(cfg, w, nil)
			if err != nil {
				return err
			}
			in := bufio.NewScanner(cmd.InOrStdin())
			in.Buffer(make([]byte, 0, 64<<10), 1<<20)
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			enc := json.NewEncoder(out)
			enc.SetEscapeHTML(false)
			failed, line := 0, 0
			now := time.Now()
			for in.Scan() {
				line++
				var m *mention.Mention
				if jsonl {
					m, err = mention.Unmarshal(in.Bytes())
					if err == nil {
						err = mention.Normalize(m, mention.Limits{}, now)
					}
					if err != nil {
						failed++
						_ = enc.Encode(map[string]any{"line": line, "error": err.Error()})
						continue
					}
				} else {
					m = &mention.Mention{Text: in.Text()}
				}
				if forced != "" {
					m.Lang = forced
				}
				if employee && m.Author.EmployeeID == "" {
					m.Author.EmployeeID = "cli"
				}
				fn(m)
				if jsonl {
					err = enc.Encode(m)
				} else {
					err = enc.Encode(scored{Lang: m.Lang, Sentiment: m.Sentiment, Charter: nonNilFlags(m.Charter),
						Watches: nonNilStrings(m.Watches), Entities: m.Entities, Idea: m.Idea})
				}
				if err != nil {
					return err
				}
			}
			if err := in.Err(); err != nil {
				return fmt.Errorf("stdin, line %d: %w", line+1, err)
			}
			if failed > 0 {
				out.Flush()
				fmt.Fprintf(cmd.ErrOrStderr(), "score: %d of %d lines could not be read\n", failed, line)
				return errSilent
			}
			return nil
		},
	}
	cmd.Flags().Bool("jsonl", false, "input lines are JSON mentions; output lines are the analysed mentions")
	cmd.Flags().String("lang", "", "force the language: fr or en")
	cmd.Flags().Bool("employee", false, "read every line as an employee's post (adds ideas and detractors)")
	return cmd
}

func nonNilFlags(f []mention.CharterFlag) []mention.CharterFlag {
	if f == nil {
		return []mention.CharterFlag{}
	}
	return f
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
