package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a configuration problem, located in the file.
type Error struct {
	File string
	Line int    // 0 when unknown
	Key  string // dotted path, e.g. "writer.batch_size" or "watches[2].id"
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads, decodes, defaults and validates the configuration file.
// Every unknown key and wrong type is reported, each with its line.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

// Parse is Load on bytes; name is used in errors.
func Parse(data []byte, name string) (*Config, error) {
	cfg := &Config{}
	if err := decodeStrict(data, name, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

type located interface {
	SetDefaults()
	Validate() error
}

// decodeStrict decodes data into out (a pointer to a struct implementing
// located): unknown keys and type mismatches are errors with a line; then
// defaults are applied and Validate's error, whose text starts with the
// dotted key, is located.
func decodeStrict(data []byte, name string, out located) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return &Error{File: name, Line: yamlErrLine(err), Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	lines := map[string]int{}
	var errs []error
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode && !(root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
			return &Error{File: name, Line: root.Line, Msg: "the configuration must be a mapping of keys"}
		}
		walk(root, reflect.TypeOf(out).Elem(), "", lines, func(line int, key, msg string) {
			errs = append(errs, &Error{File: name, Line: line, Key: key, Msg: msg})
		})
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		if err := root.Decode(out); err != nil {
			var te *yaml.TypeError
			if errors.As(err, &te) {
				for _, e := range te.Errors {
					line := lineNum(e)
					errs = append(errs, &Error{File: name, Line: line, Key: keyAtLine(lines, line), Msg: trimLine(e)})
				}
				return errors.Join(errs...)
			}
			return &Error{File: name, Msg: err.Error()}
		}
	}
	out.SetDefaults()
	if err := out.Validate(); err != nil {
		var out []error
		for _, e := range unjoin(err) {
			key, msg, _ := strings.Cut(e.Error(), ": ")
			out = append(out, &Error{File: name, Line: lineOf(lines, locKey(key, msg)), Key: key, Msg: msg})
		}
		return errors.Join(out...)
	}
	return nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

var lineRE = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int { return lineNum(err.Error()) }

func lineNum(s string) int {
	if m := lineRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func trimLine(s string) string {
	s = strings.TrimPrefix(s, "yaml: ")
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "line ") {
		return s[i+2:]
	}
	return s
}

// locKey is the key to locate an error by: `watches[0] (id "x")` with the
// message "kind: …" is located at watches[0].kind.
func locKey(key, msg string) string {
	if i := strings.Index(key, " ("); i > 0 {
		key = key[:i]
	}
	if field, _, ok := strings.Cut(msg, ": "); ok && !strings.ContainsAny(field, " \t\"") {
		return key + "." + field
	}
	return key
}

// lineOf finds the line of key, or of its closest known parent.
func lineOf(lines map[string]int, key string) int {
	for k := key; k != ""; {
		if l, ok := lines[k]; ok {
			return l
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

func keyAtLine(lines map[string]int, line int) string {
	best := ""
	for k, l := range lines {
		if l == line && len(k) > len(best) {
			best = k
		}
	}
	return best
}

// walk checks node against type t: every mapping key must name a field
// (by its yaml tag); it records the line of every key.
func walk(node *yaml.Node, t reflect.Type, path string, lines map[string]int, report func(line int, key, msg string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind == yaml.AliasNode {
		node = node.Alias
	}
	switch t.Kind() {
	case reflect.Struct:
		if t.PkgPath() == "time" { // time.Time: a scalar
			return
		}
		if node.Kind != yaml.MappingNode {
			if node.Tag != "!!null" {
				report(node.Line, path, fmt.Sprintf("expected a mapping of keys, got %s", describe(node)))
			}
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			key := join(path, k.Value)
			lines[key] = k.Line
			f, ok := fields[k.Value]
			if !ok {
				msg := "unknown key"
				if s := suggest(k.Value, fields); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				report(k.Line, key, msg)
				continue
			}
			walk(v, f.Type, key, lines, report)
		}
	case reflect.Slice:
		if node.Kind == yaml.SequenceNode {
			for i, c := range node.Content {
				key := fmt.Sprintf("%s[%d]", path, i)
				lines[key] = c.Line
				walk(c, t.Elem(), key, lines, report)
			}
		}
	case reflect.Map:
		if node.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(node.Content); i += 2 {
				key := join(path, node.Content[i].Value)
				lines[key] = node.Content[i].Line
				walk(node.Content[i+1], t.Elem(), key, lines, report)
			}
		}
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "something else"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

type fieldInfo struct{ Type reflect.Type }

func yamlFields(t reflect.Type) map[string]fieldInfo {
	out := map[string]fieldInfo{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range yamlFields(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = fieldInfo{Type: f.Type}
	}
	return out
}

// suggest returns the known key closest to k, if close enough.
func suggest(k string, fields map[string]fieldInfo) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	best, bestD := "", 3
	for _, n := range names {
		if d := distance(k, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
