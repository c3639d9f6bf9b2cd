package config

import (
	"io"

	"go.yaml.in/yaml/v3"
)

// Dump writes cfg as YAML, defaults applied; secrets print as <secret>.
func Dump(w io.Writer, cfg *Config) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return err
	}
	return enc.Close()
}
