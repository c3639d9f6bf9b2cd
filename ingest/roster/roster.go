// Package roster is the employee roster (handles per network, official
// accounts, corporate domains): Apply marks employees' posts and relays of
// the company, and a Watcher reloads the file without a restart.
package roster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vigie-project/vigie/mention"
)

// MaxFileBytes bounds the size of a roster file.
const MaxFileBytes = 32 << 20

// maxHandleBytes bounds a normalised handle; longer ones are refused at
// load and never match at lookup.
const maxHandleBytes = 256

// ErrInvalid is wrapped by every error about the content of a roster.
var ErrInvalid = errors.New("roster: invalid")

// Format is a roster file format.
type Format string

// Formats.
const (
	FormatCSV  Format = "csv"
	FormatYAML Format = "yaml"
)

// FormatOf returns the format of a file from its extension (.csv, .yaml,
// .yml), or "" when it is neither.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return FormatCSV
	case ".yaml", ".yml":
		return FormatYAML
	}
	return ""
}

// LineError is a problem at one line of a roster file.
type LineError struct {
	File  string // as given to Load or Parse; may be empty
	Line  int    // 1-based; 0 when the problem is not at one line
	Field string // column or key, e.g. "twitter" or "employees[3].handles.twitter"
	Err   error
}

func (e *LineError) Error() string {
	var b strings.Builder
	b.WriteString("roster: ")
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
	}
	if e.File != "" || e.Line > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e *LineError) Unwrap() []error { return []error{e.Err, ErrInvalid} }

// Handle is one account on one network.
type Handle struct {
	Network string // the collector's source name: twitter, mastodon, bluesky, linkedin…
	Handle  string // lower case, without '@'; "user@instance" on the fediverse
}

// Employee is one person of the roster. It is a value: changing it does
// not change the roster.
type Employee struct {
	ID         string
	Name       string
	Department string
	Region     string
	handles    []Handle
}

// Handles returns a copy of the employee's accounts.
func (e Employee) Handles() []Handle { return slices.Clone(e.handles) }

// Account is an official account of the company (the brand, a
// subsidiary, a spokesperson's professional account).
type Account struct {
	Name    string
	handles []Handle
}

// Handles returns a copy of the account's handles.
func (a Account) Handles() []Handle { return slices.Clone(a.handles) }

// Roster is a loaded roster. It never changes once built and is safe for
// concurrent use.
type Roster struct {
	employees []Employee
	officials []Account
	domains   []string
	emp       map[string]*index // network → handle → employees[i]
	off       map[string]*index // network → handle → officials[i]
}

// index finds an entry by handle on one network.
type index struct {
	exact map[string]int32 // handle as written ("user" or "user@instance")
	// bare maps "user" to the entry written "user@instance", so that a
	// post whose author handle has no instance still matches; -1 when
	// several entries share the user name on different instances.
	bare map[string]int32
}

// Load reads a roster file; its extension gives the format.
func Load(path string) (*Roster, error) {
	f := FormatOf(path)
	if f == "" {
		return nil, fmt.Errorf("roster: %s: unknown format: the name must end in .csv, .yaml or .yml", path)
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("roster: %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("roster: %s: larger than %d bytes", path, MaxFileBytes)
	}
	return Parse(f, path, data)
}

// Parse builds a roster from the content of a file. name is only used in
// error messages.
func Parse(format Format, name string, data []byte) (*Roster, error) {
	var b builder
	b.file = name
	var err error
	switch format {
	case FormatCSV:
		err = b.parseCSV(data)
	case FormatYAML:
		err = b.parseYAML(data)
	default:
		return nil, fmt.Errorf("roster: unknown format %q", format)
	}
	if err != nil {
		return nil, err
	}
	return b.r(), nil
}

// Len returns the number of employees.
func (r *Roster) Len() int { return len(r.employees) }

// Employees returns a copy of the employees, in file order.
func (r *Roster) Employees() []Employee { return slices.Clone(r.employees) }

// Officials returns a copy of the official accounts, in file order.
func (r *Roster) Officials() []Account { return slices.Clone(r.officials) }

// CorporateDomains returns a copy of the corporate domains, lower case.
func (r *Roster) CorporateDomains() []string { return slices.Clone(r.domains) }

// Employee returns the employee who owns handle on the network source.
// The handle is matched ignoring case and a leading '@'; on the fediverse
// "user@instance" matches an entry written "user@instance" or "user", and
// "user" matches an entry written "user@instance" when only one employee
// has that user name on that network. "twitter", "x" and "xapi" (the
// X API v2 collector) are one network.
func (r *Roster) Employee(source, handle string) (Employee, bool) {
	if r == nil {
		return Employee{}, false
	}
	if i, ok := lookup(r.emp, source, handle); ok {
		return r.employees[i], true
	}
	return Employee{}, false
}

// IsOfficial reports whether handle is an official account on the network
// source, with the same matching rules as Employee.
func (r *Roster) IsOfficial(source, handle string) bool {
	if r == nil {
		return false
	}
	_, ok := lookup(r.off, source, handle)
	return ok
}

// lookup finds handle on network source without allocating when both are
// ASCII (the common case).
func lookup(idx map[string]*index, source, handle string) (int32, bool) {
	if len(idx) == 0 {
		return 0, false
	}
	var nbuf [64]byte
	ix := idx[networkKey(source, &nbuf)]
	if ix == nil {
		return 0, false
	}
	handle = strings.TrimSpace(handle)
	handle = strings.TrimPrefix(handle, "@")
	if handle == "" || len(handle) > maxHandleBytes {
		return 0, false
	}
	var hbuf [maxHandleBytes]byte
	h, ok := lowerASCII(handle, hbuf[:0])
	if !ok {
		return lookupFolded(ix, strings.ToLower(handle))
	}
	// Map lookups keyed by string(bytes) do not allocate.
	if i, ok := ix.exact[string(h)]; ok {
		return i, true
	}
	at := indexByte(h, '@')
	if at > 0 {
		i, ok := ix.exact[string(h[:at])]
		return i, ok
	}
	if i, ok := ix.bare[string(h)]; ok && i >= 0 {
		return i, true
	}
	return 0, false
}

// lookupFolded is lookup's slow path for a non-ASCII handle.
func lookupFolded(ix *index, h string) (int32, bool) {
	if i, ok := ix.exact[h]; ok {
		return i, true
	}
	if at := strings.IndexByte(h, '@'); at > 0 {
		i, ok := ix.exact[h[:at]]
		return i, ok
	}
	if i, ok := ix.bare[h]; ok && i >= 0 {
		return i, true
	}
	return 0, false
}

// networkKey returns the canonical network name of a source, using buf
// when it must be lower-cased.
func networkKey(source string, buf *[64]byte) string {
	if len(source) > len(buf) {
		return ""
	}
	b, ok := lowerASCII(source, buf[:0])
	if !ok {
		return ""
	}
	if string(b) == "x" || string(b) == "xapi" { // the X API v2 collector
		return "twitter"
	}
	if len(source) == len(b) && !hasUpperASCII(source) {
		return source
	}
	return string(b) // only when the source was not lower case: allocates
}

// lowerASCII appends s lower-cased to dst; ok is false when s is not ASCII.
func lowerASCII(s string, dst []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return nil, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// canonicalNetwork validates and normalises a network name as written in
// a roster file.
func canonicalNetwork(s string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(s))
	if n == "x" || n == "xapi" {
		n = "twitter"
	}
	if !mention.ValidToken(n) {
		return "", fmt.Errorf("network %q must be lower-case letters, digits, '-' or '_' (the collector's source name)", s)
	}
	return n, nil
}

// canonicalHandle validates and normalises a handle as written in a
// roster file: surrounding spaces and one leading '@' go, case is folded,
// a profile URL gives its handle ("https://mastodon.social/@jdupont" is
// "jdupont@mastodon.social", "https://www.linkedin.com/in/jdupont/" is
// "jdupont").
func canonicalHandle(s string) (string, error) {
	h := strings.TrimSpace(s)
	if strings.Contains(h, "://") {
		var err error
		if h, err = handleFromURL(h); err != nil {
			return "", err
		}
	}
	h = strings.ToLower(strings.TrimPrefix(h, "@"))
	switch {
	case h == "":
		return "", errors.New("handle is empty")
	case len(h) > maxHandleBytes:
		return "", fmt.Errorf("handle is longer than %d bytes", maxHandleBytes)
	case !utf8.ValidString(h) || strings.ContainsFunc(h, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return "", fmt.Errorf("handle %q has spaces or control characters", s)
	}
	if at := strings.IndexByte(h, '@'); at >= 0 {
		user, inst := h[:at], h[at+1:]
		if user == "" || !validHost(inst) {
			return "", fmt.Errorf("handle %q: want user or user@instance", s)
		}
	}
	return h, nil
}

// handleFromURL extracts a handle from a profile URL.
func handleFromURL(u string) (string, error) {
	_, rest, _ := strings.Cut(u, "://")
	host, path, _ := strings.Cut(rest, "/")
	path, _, _ = strings.Cut(path, "?")
	path, _, _ = strings.Cut(path, "#")
	path = strings.Trim(path, "/")
	if path == "" {
		return "", fmt.Errorf("handle %q: a profile URL needs a path", u)
	}
	last := path[strings.LastIndexByte(path, '/')+1:]
	if user, ok := strings.CutPrefix(last, "@"); ok && !strings.Contains(user, "@") {
		// Fediverse profile: https://instance/@user.
		return user + "@" + strings.ToLower(host), nil
	}
	return last, nil
}

// validHost reports whether s looks like a DNS name: labels of letters,
// digits and '-' separated by dots, with at least one dot.
func validHost(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
				return false
			}
		}
	}
	return true
}

// canonicalDomain validates and normalises a corporate domain: lower case,
// without a leading "*." or "." or a trailing dot.
func canonicalDomain(s string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(s))
	d = strings.TrimPrefix(d, "*")
	d = strings.TrimPrefix(d, ".")
	d = strings.TrimSuffix(d, ".")
	if !validHost(d) {
		return "", fmt.Errorf("%q is not a domain name such as example.com (no scheme, path or port)", s)
	}
	return d, nil
}
