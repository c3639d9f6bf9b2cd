package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Row kinds in a CSV roster (the optional "kind" column).
const (
	KindEmployee = "employee" // the default
	KindOfficial = "official"
	KindDomain   = "domain"
)

// CSV columns with a meaning; every other column is a network.
const (
	colKind       = "kind"
	colID         = "employee_id"
	colName       = "name"
	colDepartment = "department"
	colRegion     = "region"
	colDomain     = "domain"
)

// csvColumn normalises a header cell and maps the other spellings HR
// exports use to the column names above.
func csvColumn(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.NewReplacer(" ", "_", "-", "_").Replace(h)
	switch h {
	case "id", "employee", "matricule":
		return colID
	case "display_name", "full_name", "nom":
		return colName
	case "dept", "service", "departement", "département":
		return colDepartment
	case "région":
		return colRegion
	case "type":
		return colKind
	}
	return h
}

// parseCSV reads a CSV roster: a header line, then one row per employee,
// official account (kind "official") or corporate domain (kind "domain").
// The separator is ',' or, as French spreadsheets write it, ';' or a tab;
// a UTF-8 byte order mark is skipped and a file that is not UTF-8 is read
// as Windows-1252.
func (b *builder) parseCSV(data []byte) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return b.errf(0, "", "file is neither UTF-8 nor Windows-1252: %v", err)
		}
		data = dec
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return b.errf(0, "", "file is empty")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sniffComma(data)
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err != nil {
		return b.csvErr(err)
	}
	line, _ := cr.FieldPos(0)
	cols := make([]string, len(header))
	seen := map[string]int{}
	for i, h := range header {
		c := csvColumn(h)
		if c == "" {
			return b.errf(line, fmt.Sprintf("column %d", i+1), "empty column name in the header")
		}
		if j, dup := seen[c]; dup {
			return b.errf(line, c, "column repeated (columns %d and %d)", j+1, i+1)
		}
		if !isReserved(c) {
			if _, err := canonicalNetwork(c); err != nil {
				return b.errf(line, fmt.Sprintf("column %d", i+1), "%v", err)
			}
		}
		seen[c] = i
		cols[i] = c
	}
	_, hasID := seen[colID]
	_, hasKind := seen[colKind]
	if !hasID && !hasKind {
		return b.errf(line, "", "the header needs an %s column (got %s)", colID, strings.Join(cols, ", "))
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return b.csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) > len(cols) {
			return b.errf(line, "", "%d fields, the header has %d", len(rec), len(cols))
		}
		if err := b.csvRow(line, cols, rec); err != nil {
			return err
		}
	}
}

func isReserved(c string) bool {
	switch c {
	case colKind, colID, colName, colDepartment, colRegion, colDomain:
		return true
	}
	return false
}

// csvRow adds one row; missing trailing fields are empty.
func (b *builder) csvRow(line int, cols, rec []string) error {
	var e Employee
	var kind, domain string
	var hs []rawHandle
	for i, c := range cols {
		v := ""
		if i < len(rec) {
			v = strings.TrimSpace(rec[i])
		}
		switch c {
		case colKind:
			kind = strings.ToLower(v)
		case colID:
			e.ID = v
		case colName:
			e.Name = v
		case colDepartment:
			e.Department = v
		case colRegion:
			e.Region = v
		case colDomain:
			domain = v
		default:
			for _, h := range splitHandles(v) {
				hs = append(hs, rawHandle{network: c, handle: h, line: line, field: c})
			}
		}
	}
	switch kind {
	case "", KindEmployee:
		if domain != "" {
			return b.errf(line, colDomain, "only rows of kind %q have a domain", KindDomain)
		}
		return b.addEmployee(line, "", colID, e, hs)
	case KindOfficial:
		if domain != "" {
			return b.errf(line, colDomain, "only rows of kind %q have a domain", KindDomain)
		}
		return b.addOfficial(line, "", Account{Name: e.Name}, hs)
	case KindDomain:
		if len(hs) > 0 || e.ID != "" {
			return b.errf(line, "", "a row of kind %q has only a domain", KindDomain)
		}
		if domain == "" {
			return b.errf(line, colDomain, "is required on a row of kind %q", KindDomain)
		}
		return b.addDomain(line, colDomain, domain)
	}
	return b.errf(line, colKind, "%q must be %s, %s or %s", kind, KindEmployee, KindOfficial, KindDomain)
}

// csvErr turns a csv.ParseError into a LineError.
func (b *builder) csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return b.errf(pe.Line, "", "%v", pe.Err)
	}
	return b.err(0, "", err)
}

// sniffComma picks the separator of the header line: the most frequent of
// ',', ';' and tab outside quotes.
func sniffComma(data []byte) rune {
	header := data
	for len(header) > 0 && header[0] == '#' { // skip comment lines
		i := bytes.IndexByte(header, '\n')
		if i < 0 {
			break
		}
		header = header[i+1:]
	}
	if i := bytes.IndexByte(header, '\n'); i >= 0 {
		header = header[:i]
	}
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(header) {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t'):
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}
