package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigie-project/vigie/detect"
)

func detectCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "detect",
		Short: "Run the crisis detector offline over timestamp,value CSV series (backtests, NAB)",
		Long: "Runs the same detector as the pipeline over a CSV series (header, then timestamp,value rows;\n" +
			"any regular spacing) and writes timestamp,value,anomaly_score, where anomaly_score is 1 on\n" +
			"the row where a crisis opens and 0 elsewhere (--graded: the underlying score in [0,1)).\n\n" +
			"  vigie detect --in series.csv [--out scores.csv]\n" +
			"  vigie detect --nab ../shared/data/nab/data --out /tmp/nab-results\n" +
			"      then: python3 ../shared/tools/nabscore.py --labels ../shared/data/nab/labels/combined_windows.json \\\n" +
			"              --results /tmp/nab-results --threshold 0.5",
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, _ := cmd.Flags().GetString("in")
			out, _ := cmd.Flags().GetString("out")
			nab, _ := cmd.Flags().GetString("nab")
			var opts detect.CSVOptions
			opts.Graded, _ = cmd.Flags().GetBool("graded")
			opts.Counts, _ = cmd.Flags().GetBool("counts")
			opts.UpOnly, _ = cmd.Flags().GetBool("up-only")
			opts.Config.Sensitivity, _ = cmd.Flags().GetString("sensitivity")
			switch {
			case (in == "") == (nab == ""):
				return fmt.Errorf("give either --in FILE or --nab DIR")
			case nab != "" && out == "":
				return fmt.Errorf("--nab needs --out DIR")
			case nab != "":
				return detectTree(nab, out, opts, cmd.ErrOrStderr())
			}
			r, err := os.Open(in)
			if err != nil {
				return err
			}
			defer r.Close()
			var w io.Writer = cmd.OutOrStdout()
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			if err := detect.RunCSV(r, w, opts); err != nil {
				return fmt.Errorf("%s: %w", in, err)
			}
			return nil
		},
	}
	cmd.Flags().String("in", "", "one CSV series")
	cmd.Flags().String("out", "", "output CSV (default stdout), or the output folder with --nab")
	cmd.Flags().String("nab", "", "a folder tree of CSV series (NAB layout); results are written flat into --out, as nabscore.py reads them")
	cmd.Flags().Bool("graded", false, "write the underlying score instead of 1 on opening rows")
	cmd.Flags().Bool("counts", false, "values are event counts (mentions per step)")
	cmd.Flags().Bool("up-only", false, "open on surges only, as watches do (default: surges and drops)")
	cmd.Flags().String("sensitivity", "", "low, normal or high (default normal)")
	return cmd
}

// detectTree runs every series under dir and writes the results flat in
// out (nabscore.py reads one folder), named after each series.
func detectTree(dir, out string, opts detect.CSVOptions, progress io.Writer) error {
	tmp, err := os.MkdirTemp("", "vigie-detect-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := detect.RunDir(dir, tmp, opts, progress); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	n := 0
	err = filepath.WalkDir(tmp, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".csv") {
			return err
		}
		dst := filepath.Join(out, d.Name())
		if _, err := os.Stat(dst); err == nil {
			rel, _ := filepath.Rel(tmp, path)
			dst = filepath.Join(out, strings.ReplaceAll(rel, string(filepath.Separator), "_"))
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		return os.WriteFile(dst, b, 0o644)
	})
	if err == nil {
		fmt.Fprintf(progress, "detect: %d series scored into %s\n", n, out)
	}
	return err
}
