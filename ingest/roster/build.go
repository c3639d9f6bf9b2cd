package roster

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTextBytes bounds ids, names, departments and regions.
const maxTextBytes = 256

// builder collects the entries of a file, checks them against each other
// and builds the indexes.
type builder struct {
	file      string
	employees []Employee
	officials []Account
	domains   []string

	empLine    map[string]int    // employee id → line
	owner      map[Handle]holder // who holds each handle
	domainLine map[string]int
}

// holder is the entry that holds a handle.
type holder struct {
	official bool
	i        int32
	line     int
}

func (b *builder) err(line int, field string, err error) error {
	return &LineError{File: b.file, Line: line, Field: field, Err: err}
}

func (b *builder) errf(line int, field, format string, args ...any) error {
	return b.err(line, field, fmt.Errorf(format, args...))
}

// rawHandle is a handle as read, with where it was read.
type rawHandle struct {
	network, handle string
	line            int
	field           string
}

// addEmployee adds an employee; e.handles is filled from hs. field
// prefixes the names in errors and idKey names the id.
func (b *builder) addEmployee(line int, field, idKey string, e Employee, hs []rawHandle) error {
	var err error
	if e.ID, err = cleanText(e.ID, true); err != nil {
		return b.err(line, field+idKey, err)
	}
	if b.empLine == nil {
		b.empLine = map[string]int{}
	}
	if prev, dup := b.empLine[e.ID]; dup {
		return b.errf(line, field+idKey, "employee %q is already defined at line %d", e.ID, prev)
	}
	if e.Name, err = cleanText(e.Name, false); err != nil {
		return b.err(line, field+"name", err)
	}
	if e.Department, err = cleanText(e.Department, false); err != nil {
		return b.err(line, field+"department", err)
	}
	if e.Region, err = cleanText(e.Region, false); err != nil {
		return b.err(line, field+"region", err)
	}
	if len(b.employees) >= 1<<31-1 {
		return b.errf(line, "", "too many employees")
	}
	i := int32(len(b.employees))
	if e.handles, err = b.claim(hs, holder{i: i, line: line}); err != nil {
		return err
	}
	b.empLine[e.ID] = line
	b.employees = append(b.employees, e)
	return nil
}

// addOfficial adds an official account.
func (b *builder) addOfficial(line int, field string, a Account, hs []rawHandle) error {
	var err error
	if a.Name, err = cleanText(a.Name, false); err != nil {
		return b.err(line, field+"name", err)
	}
	if len(hs) == 0 {
		return b.errf(line, field+"handles", "an official account needs at least one handle")
	}
	if len(b.officials) >= 1<<31-1 {
		return b.errf(line, "", "too many official accounts")
	}
	if a.handles, err = b.claim(hs, holder{official: true, i: int32(len(b.officials)), line: line}); err != nil {
		return err
	}
	b.officials = append(b.officials, a)
	return nil
}

// addDomain adds a corporate domain; a repeated domain is ignored.
func (b *builder) addDomain(line int, field, raw string) error {
	d, err := canonicalDomain(raw)
	if err != nil {
		return b.err(line, field, err)
	}
	if b.domainLine == nil {
		b.domainLine = map[string]int{}
	}
	if _, dup := b.domainLine[d]; dup {
		return nil
	}
	b.domainLine[d] = line
	b.domains = append(b.domains, d)
	return nil
}

// claim normalises handles and records h as their holder. A handle held
// by another entry is an error; the same handle twice on one entry is
// kept once.
func (b *builder) claim(hs []rawHandle, h holder) ([]Handle, error) {
	if b.owner == nil {
		b.owner = map[Handle]holder{}
	}
	out := make([]Handle, 0, len(hs))
	for _, rh := range hs {
		network, err := canonicalNetwork(rh.network)
		if err != nil {
			return nil, b.err(rh.line, rh.field, err)
		}
		handle, err := canonicalHandle(rh.handle)
		if err != nil {
			return nil, b.err(rh.line, rh.field, err)
		}
		key := Handle{Network: network, Handle: handle}
		if prev, taken := b.owner[key]; taken {
			if prev.official == h.official && prev.i == h.i {
				continue
			}
			what := "an employee"
			if prev.official {
				what = "an official account"
			}
			return nil, b.errf(rh.line, rh.field, "%s:%s is already %s at line %d", network, handle, what, prev.line)
		}
		b.owner[key] = h
		out = append(out, key)
	}
	return out, nil
}

// r builds the roster and its indexes.
func (b *builder) r() *Roster {
	r := &Roster{employees: b.employees, officials: b.officials, domains: b.domains,
		emp: map[string]*index{}, off: map[string]*index{}}
	for key, h := range b.owner {
		idx := r.emp
		if h.official {
			idx = r.off
		}
		ix := idx[key.Network]
		if ix == nil {
			ix = &index{exact: map[string]int32{}, bare: map[string]int32{}}
			idx[key.Network] = ix
		}
		ix.exact[key.Handle] = h.i
		if at := strings.IndexByte(key.Handle, '@'); at > 0 {
			user := key.Handle[:at]
			if prev, ok := ix.bare[user]; ok && prev != h.i {
				ix.bare[user] = -1
			} else {
				ix.bare[user] = h.i
			}
		}
	}
	return r
}

// cleanText trims s and checks it is printable, valid UTF-8 and not too
// long; an id must also be non-empty and without spaces.
func cleanText(s string, id bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", errors.New("is not valid UTF-8")
	case len(s) > maxTextBytes:
		return "", fmt.Errorf("is longer than %d bytes", maxTextBytes)
	case strings.ContainsFunc(s, unicode.IsControl):
		return "", errors.New("has control characters")
	}
	if id {
		switch {
		case s == "":
			return "", errors.New("is required")
		case strings.ContainsFunc(s, unicode.IsSpace):
			return "", fmt.Errorf("%q has spaces", s)
		}
	}
	return s, nil
}

// splitHandles splits a CSV cell holding several handles separated by
// '|', ';', ',' or spaces.
func splitHandles(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ';' || r == ',' || unicode.IsSpace(r) })
}
