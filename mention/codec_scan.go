package mention

import (
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The lexical layer of the decoder: white space, strings, numbers,
// literals, object and array punctuation, and skipping values of unknown
// keys. The grammar is encoding/json's scanner's, which is RFC 8259's:
// white space is space, tab, CR and LF; strings take any byte from 0x20 up
// except " and \, and the escapes \" \\ \/ \b \f \n \r \t \uXXXX; numbers
// are -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; nesting stops at
// 10000 levels.

// maxDepth is encoding/json's limit on nesting.
const maxDepth = 10000

// decoder reads one JSON document. Every loop advances pos, so decoding is
// linear in the input.
type decoder struct {
	data []byte // the input, handed to time.Time.UnmarshalJSON
	s    string // a copy of the input: strings without escapes are slices of it
	pos  int
	buf  []byte // scratch for unescaping
}

var errEOF = errors.New("unexpected end of JSON input")

func (d *decoder) errAt(off int, err error) error { return &CodecError{Offset: off, Err: err} }

func (d *decoder) eof() error { return d.errAt(len(d.s), errEOF) }

// syntaxError reports the byte at off as unexpected, or the end of input
// when off is past it.
func (d *decoder) syntaxError(off int, context string) error {
	if off >= len(d.s) {
		return d.eof()
	}
	return d.errAt(off, errors.New("invalid character "+quoteChar(d.s[off])+" "+context))
}

func quoteChar(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	return "byte 0x" + string(hexDigits[c>>4]) + string(hexDigits[c&0xF])
}

// ws skips white space.
func (d *decoder) ws() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// value skips white space and reports an error if the input ends there,
// so that value decoders can read d.s[d.pos].
func (d *decoder) value() error {
	d.ws()
	if d.pos >= len(d.s) {
		return d.eof()
	}
	return nil
}

// typeError reports that the value at d.pos, whose JSON type it names, is
// not the type wanted; or a syntax error if no value starts there.
func (d *decoder) typeError(want string) error {
	var got string
	switch c := d.s[d.pos]; {
	case c == '{':
		got = "object"
	case c == '[':
		got = "array"
	case c == '"':
		got = "string"
	case c == 't' || c == 'f':
		got = "bool"
	case c == '-' || '0' <= c && c <= '9':
		got = "number"
	default:
		return d.syntaxError(d.pos, "looking for beginning of value")
	}
	return d.errAt(d.pos, errors.New("cannot decode a JSON "+got+" into "+want))
}

// literal consumes the literal lit (true, false or null) at d.pos.
func (d *decoder) literal(lit string) error {
	if strings.HasPrefix(d.s[d.pos:], lit) {
		d.pos += len(lit)
		return nil
	}
	i := 1
	for d.pos+i < len(d.s) && d.s[d.pos+i] == lit[i] {
		i++
	}
	return d.syntaxError(d.pos+i, "in literal "+lit+" (expecting "+quoteChar(lit[i])+")")
}

// beginObject consumes the '{' at d.pos and, unless the object is empty,
// its first key and the ':' after it. ok is false for an empty object.
func (d *decoder) beginObject() (key string, ok bool, err error) {
	d.pos++
	d.ws()
	if d.pos < len(d.s) && d.s[d.pos] == '}' {
		d.pos++
		return "", false, nil
	}
	return d.key()
}

// nextKey consumes the ',' or '}' after a member's value and, after a ',',
// the next key and its ':'. ok is false at the end of the object.
func (d *decoder) nextKey() (key string, ok bool, err error) {
	d.ws()
	if d.pos >= len(d.s) {
		return "", false, d.eof()
	}
	switch d.s[d.pos] {
	case ',':
		d.pos++
		d.ws()
		return d.key()
	case '}':
		d.pos++
		return "", false, nil
	}
	return "", false, d.syntaxError(d.pos, "after object key:value pair")
}

// key reads a key, the ':' after it and the white space before the value.
// ok is false exactly when err is not nil.
func (d *decoder) key() (string, bool, error) {
	if d.pos >= len(d.s) || d.s[d.pos] != '"' {
		return "", false, d.syntaxError(d.pos, "looking for beginning of object key string")
	}
	k, err := d.str()
	if err != nil {
		return "", false, err
	}
	d.ws()
	if d.pos >= len(d.s) || d.s[d.pos] != ':' {
		return "", false, d.syntaxError(d.pos, "after object key")
	}
	d.pos++
	if err := d.value(); err != nil {
		return "", false, err
	}
	return k, true, nil
}

// nextElem consumes the ',' or ']' after an array element. more is false
// at the end of the array; otherwise d.pos is at the next element.
func (d *decoder) nextElem() (more bool, err error) {
	d.ws()
	if d.pos >= len(d.s) {
		return false, d.eof()
	}
	switch d.s[d.pos] {
	case ',':
		d.pos++
		return true, d.value()
	case ']':
		d.pos++
		return false, nil
	}
	return false, d.syntaxError(d.pos, "after array element")
}

// str reads the string at d.pos (its opening quote) and returns its value,
// a slice of d.s when it has no escapes and is valid UTF-8.
func (d *decoder) str() (string, error) {
	s := d.s
	start := d.pos + 1
	i := start
	// Eight bytes at a time while none is a quote, a backslash or a
	// control byte; high remembers whether any is non-ASCII.
	var high uint64
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		high |= x
		if hasZeroByte(x^(lsb*'"'))|hasZeroByte(x^(lsb*'\\'))|((x-lsb*0x20)&^x&msb) != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' {
			if c != '"' {
				break
			}
			v := s[start:i]
			if high&msb != 0 && !utf8.ValidString(v) {
				break
			}
			d.pos = i + 1
			return v, nil
		}
		high |= uint64(c) << 56
	}
	return d.unquote(start)
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// hasZeroByte reports whether a byte of x is zero.
func hasZeroByte(x uint64) uint64 { return (x - lsb) &^ x & msb }

// unquote decodes the string whose contents start at start, as
// encoding/json does: escapes resolved, a \u escape of a lone surrogate and
// each byte of invalid UTF-8 replaced by U+FFFD.
func (d *decoder) unquote(start int) (string, error) {
	s := d.s
	b := d.buf[:0]
	for i := start; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			d.pos = i + 1
			d.buf = b
			return string(b), nil
		case c < 0x20:
			return "", d.syntaxError(i, "in string literal")
		case c == '\\':
			if i+1 >= len(s) {
				return "", d.eof()
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, n := d.hex4(i + 2)
				if n < 4 {
					return "", d.syntaxError(i+2+n, "in \\u hexadecimal character escape")
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if v, n := d.hex4(i + 2); n == 4 {
							r2 = v
						}
					}
					if r = utf16.DecodeRune(r, r2); r != utf8.RuneError {
						i += 6 // a valid pair
					}
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return "", d.syntaxError(i+1, "in string escape code")
			}
			i += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	d.buf = b
	return "", d.eof()
}

// hex4 reads the four hex digits of a \u escape at off. n < 4 is the
// index of the first byte that is not a hex digit.
func (d *decoder) hex4(off int) (r rune, n int) {
	for ; n < 4; n++ {
		if off+n >= len(d.s) {
			return 0, n
		}
		c := d.s[off+n]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, n
		}
		r = r<<4 | rune(c)
	}
	return r, 4
}

// skipString moves past the string at d.pos, checking its syntax only.
func (d *decoder) skipString() error {
	s := d.s
	for i := d.pos + 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			d.pos = i + 1
			return nil
		case c < 0x20:
			return d.syntaxError(i, "in string literal")
		case c == '\\':
			i++
			if i >= len(s) {
				return d.eof()
			}
			switch s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if _, n := d.hex4(i + 1); n < 4 {
					return d.syntaxError(i+1+n, "in \\u hexadecimal character escape")
				}
				i += 4
			default:
				return d.syntaxError(i, "in string escape code")
			}
		}
	}
	return d.eof()
}

// number reads the number at d.pos and returns its text; integer is false
// when it has a fraction or an exponent.
func (d *decoder) number() (lit string, integer bool, err error) {
	s, start := d.s, d.pos
	i := start
	if s[i] == '-' {
		i++
	}
	switch {
	case i >= len(s):
		return "", false, d.eof()
	case s[i] == '0':
		i++
	case '1' <= s[i] && s[i] <= '9':
		i++
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	default:
		return "", false, d.syntaxError(i, "in numeric literal")
	}
	integer = true
	if i < len(s) && s[i] == '.' {
		integer = false
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return "", false, d.syntaxError(i, "after decimal point in numeric literal")
		}
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		integer = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return "", false, d.syntaxError(i, "in exponent of numeric literal")
		}
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	d.pos = i
	return s[start:i], integer, nil
}

// skip moves past the value at d.pos, checking its syntax, without
// recursion. depth is the number of arrays and objects around the value.
func (d *decoder) skip(depth int) error {
	// open records, per open container, whether it is an object.
	var openBuf [64]bool
	open := openBuf[:0]
	for {
		// A value starts at d.pos, after white space.
		switch c := d.s[d.pos]; {
		case c == '{' || c == '[':
			if depth+len(open)+1 > maxDepth {
				return d.errAt(d.pos, errors.New("exceeded max depth"))
			}
			open = append(open, c == '{')
			d.pos++
			d.ws()
			if d.pos >= len(d.s) {
				return d.eof()
			}
			if c == '{' {
				if d.s[d.pos] != '}' {
					if _, _, err := d.key(); err != nil {
						return err
					}
					continue
				}
			} else if d.s[d.pos] != ']' {
				continue
			}
			d.pos++
			open = open[:len(open)-1]
		case c == '"':
			if err := d.skipString(); err != nil {
				return err
			}
		case c == 't':
			if err := d.literal("true"); err != nil {
				return err
			}
		case c == 'f':
			if err := d.literal("false"); err != nil {
				return err
			}
		case c == 'n':
			if err := d.literal("null"); err != nil {
				return err
			}
		case c == '-' || '0' <= c && c <= '9':
			if _, _, err := d.number(); err != nil {
				return err
			}
		default:
			return d.syntaxError(d.pos, "looking for beginning of value")
		}
		// After a value: close containers until one has a next member.
		for {
			if len(open) == 0 {
				return nil
			}
			var more bool
			var err error
			if open[len(open)-1] {
				_, more, err = d.nextKey()
			} else {
				more, err = d.nextElem()
			}
			if err != nil {
				return err
			}
			if more {
				break
			}
			open = open[:len(open)-1]
		}
	}
}
