package mention

// The JSON codec of Mention, written by hand because encoding/json's
// reflection was a fifth of the pipeline's CPU. Its contract is to be
// indistinguishable from encoding/json for this one type:
//
//   - AppendJSON writes the bytes json.Marshal writes: same field order and
//     names, omitempty/omitzero as the struct tags say, <, > and & escaped,
//     invalid UTF-8 written as \ufffd, U+2028/U+2029 escaped, floats in the
//     ES6 style of encoding/json, times as time.Time.MarshalJSON writes them.
//   - Unmarshal accepts exactly the inputs json.Unmarshal accepts into a
//     Mention and decodes them to the same value, including its less obvious
//     rules: keys match case-insensitively (with Unicode simple folding, so
//     "ſource" and "\u212aind" fold to ASCII), null leaves a string, number,
//     bool, time or struct unchanged and sets a pointer or slice to nil, a
//     repeated key decodes into what the earlier one left (objects merge,
//     arrays reuse their elements), invalid UTF-8 and lone surrogates become
//     U+FFFD, nesting deeper than 10000 is rejected.
//
// The tests hold it to that contract: byte comparison with json.Marshal and
// differential fuzzing against json.Unmarshal (codec_fuzz_test.go).

import (
	"strconv"
	"strings"
)

// CodecError reports why a mention could not be encoded or decoded.
type CodecError struct {
	// Field is the JSON path of the field at fault, such as "created_at",
	// "author.followers" or "charter[0].spans[1].start"; empty when the
	// fault is not inside a known field (syntax outside any field, unknown
	// keys at the top level).
	Field string
	// Offset is the byte offset in the input where decoding failed; -1 when
	// encoding.
	Offset int
	// Err is the cause.
	Err error
}

func (e *CodecError) Error() string {
	var b strings.Builder
	b.WriteString("mention: ")
	if e.Field != "" {
		b.WriteString("field ")
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Offset >= 0 {
		b.WriteString(" (offset ")
		b.WriteString(strconv.Itoa(e.Offset))
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the cause, such as a *time.ParseError or a *strconv.NumError.
func (e *CodecError) Unwrap() error { return e.Err }

// inField prefixes the path of a *CodecError with the name of the field,
// or the array index ("[3]"), that holds the value at fault.
func inField(err error, name string) error {
	e, ok := err.(*CodecError)
	if !ok {
		return err
	}
	switch {
	case e.Field == "":
		e.Field = name
	case e.Field[0] == '[':
		e.Field = name + e.Field
	default:
		e.Field = name + "." + e.Field
	}
	return e
}

func inElem(err error, i int) error { return inField(err, "["+strconv.Itoa(i)+"]") }
