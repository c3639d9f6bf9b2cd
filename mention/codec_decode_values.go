package mention

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf8"
)

// Decoders of the scalar fields, and the matching of keys to fields.

// string decodes a string; null leaves *p unchanged.
func (d *decoder) string(p *string) error {
	switch d.s[d.pos] {
	case '"':
		v, err := d.str()
		if err != nil {
			return err
		}
		*p = v
		return nil
	case 'n':
		return d.literal("null")
	}
	return d.typeError("a string")
}

// bool decodes true or false; null leaves *p unchanged.
func (d *decoder) bool(p *bool) error {
	switch d.s[d.pos] {
	case 't':
		*p = true
		return d.literal("true")
	case 'f':
		*p = false
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	return d.typeError("a bool")
}

// time decodes a time with time.Time.UnmarshalJSON, given the raw string
// as encoding/json gives it (escapes are not resolved, so a time written
// with escapes is rejected, as by encoding/json); null leaves *t unchanged.
func (d *decoder) time(t *time.Time) error {
	switch d.s[d.pos] {
	case '"':
		start := d.pos
		if err := d.skipString(); err != nil {
			return err
		}
		if err := t.UnmarshalJSON(d.data[start:d.pos]); err != nil {
			return d.errAt(start, err)
		}
		return nil
	case 'n':
		return d.literal("null")
	}
	return d.typeError("a time")
}

// int64 decodes an integer; null leaves *p unchanged. As with
// encoding/json, a fraction or an exponent is rejected even when the value
// is whole (1.0, 1e3), and so is a value out of range.
func (d *decoder) int64(p *int64) error {
	n, set, err := d.integer(64)
	if set {
		*p = n
	}
	return err
}

// int is int64 for int fields.
func (d *decoder) int(p *int) error {
	n, set, err := d.integer(strconv.IntSize)
	if set {
		*p = int(n)
	}
	return err
}

// integer reads an integer of the given size; set is false for null.
func (d *decoder) integer(bits int) (n int64, set bool, err error) {
	start := d.pos
	switch c := d.s[start]; {
	case c == 'n':
		return 0, false, d.literal("null")
	case c != '-' && (c < '0' || c > '9'):
		return 0, false, d.typeError("an integer")
	}
	lit, integer, err := d.number()
	if err != nil {
		return 0, false, err
	}
	if !integer {
		return 0, false, d.errAt(start, errors.New("cannot decode number "+clip(lit)+" into an integer"))
	}
	digits := lit
	if lit[0] == '-' {
		digits = lit[1:]
	}
	if len(digits) <= 18 { // fits in 63 bits: no overflow check needed
		for i := 0; i < len(digits); i++ {
			n = n*10 + int64(digits[i]-'0')
		}
		if len(digits) < len(lit) {
			n = -n
		}
		if bits == 64 || n == int64(int32(n)) {
			return n, true, nil
		}
	} else if n, err = strconv.ParseInt(lit, 10, bits); err == nil {
		return n, true, nil
	}
	return 0, false, d.errAt(start, errors.New("cannot decode number "+clip(lit)+" into a "+strconv.Itoa(bits)+"-bit integer: out of range"))
}

// float64 decodes a number; null leaves *p unchanged.
func (d *decoder) float64(p *float64) error {
	start := d.pos
	switch c := d.s[start]; {
	case c == 'n':
		return d.literal("null")
	case c != '-' && (c < '0' || c > '9'):
		return d.typeError("a number")
	}
	lit, _, err := d.number()
	if err != nil {
		return err
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return d.errAt(start, errors.New("cannot decode number "+clip(lit)+" into a float64: out of range"))
	}
	*p = f
	return nil
}

// clip shortens a literal quoted in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// matchKey returns the index of key in names, matching as encoding/json
// does: exactly, else under Unicode simple case folding. Every name is
// lower-case ASCII, so a key matches when it equals a name after its ASCII
// letters are lowered and its only non-ASCII runes are those whose fold
// orbit holds an ASCII letter: U+017F (ſ, with s and S) and U+212A (the
// Kelvin sign, with k and K). It returns -1 for an unknown key.
func matchKey(key string, names []string) int {
	for i, n := range names {
		if key == n {
			return i
		}
	}
	return foldKey(key, names)
}

// foldKey is the folding half of matchKey.
func foldKey(key string, names []string) int {
	var buf [24]byte
	folded := buf[:0]
	for i := 0; i < len(key); {
		c := key[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			folded = append(folded, c)
			i++
		} else {
			r, size := utf8.DecodeRuneInString(key[i:])
			switch r {
			case '\u017f':
				folded = append(folded, 's')
			case '\u212a':
				folded = append(folded, 'k')
			default:
				return -1
			}
			i += size
		}
		if len(folded) == len(buf) {
			return -1 // longer than any name
		}
	}
	for i, n := range names {
		if string(folded) == n {
			return i
		}
	}
	return -1
}
