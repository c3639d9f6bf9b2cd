package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// MaxLineBytes is the longest line accepted, without its line terminator.
const MaxLineBytes = 1 << 20

// Reasons a line is rejected, wrapped in a *LineError.
var (
	ErrLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLineBytes)
	ErrBadJSON     = errors.New("invalid JSON")
)

// lineReader splits its input into lines of at most max bytes; a longer
// line is skipped up to its end and reported, so reading goes on.
type lineReader struct {
	br  *bufio.Reader
	buf []byte
	max int
	n   int // number of the line last returned, from 1
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without "\n" or "\r\n". tooLong reports a
// line over the limit, whose content is dropped. err is io.EOF at the
// end of the input (never together with a line) or a read error. The
// line is only valid until the next call.
func (r *lineReader) next() (line []byte, tooLong bool, err error) {
	r.buf = r.buf[:0]
	read := false
	for {
		chunk, err := r.br.ReadSlice('\n')
		read = read || len(chunk) > 0
		if !tooLong {
			// Keep up to max+2 bytes: the line and a "\r\n" terminator.
			if len(r.buf)+len(chunk) > r.max+2 {
				tooLong = true
				r.buf = r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		switch {
		case err == nil:
			// Found the end of the line.
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if !read {
				return nil, false, io.EOF
			}
			// The last line has no terminator.
		default:
			return nil, false, err
		}
		r.n++
		if tooLong {
			return nil, true, nil
		}
		line = bytes.TrimSuffix(r.buf, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > r.max {
			return nil, true, nil
		}
		return line, false, nil
	}
}

func isBlank(line []byte) bool { return len(bytes.TrimSpace(line)) == 0 }

// decodeLine parses one JSON mention and normalizes it as of now.
func decodeLine(line []byte, now time.Time) (*mention.Mention, error) {
	m := new(mention.Mention)
	if err := json.Unmarshal(line, m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadJSON, err)
	}
	if err := mention.Normalize(m, mention.Limits{}, now); err != nil {
		return nil, err
	}
	return m, nil
}
