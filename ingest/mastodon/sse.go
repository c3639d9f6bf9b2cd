package mastodon

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// maxEventBytes bounds one server-sent event (a status is well under
// 100 KiB); a longer line or event ends the connection.
const maxEventBytes = 1 << 20

// errEventTooLong is returned by sseReader.next for an oversized event.
var errEventTooLong = errors.New("server-sent event over 1 MiB")

// sseEvent is one dispatched event, or a comment line (a heartbeat such
// as ":thump") when comment is true.
type sseEvent struct {
	name    string
	data    string
	comment bool
}

// sseReader parses a text/event-stream (the WHATWG server-sent events
// format): "event:" and "data:" fields, a blank line dispatches, lines
// starting with ':' are comments; lines end with \n, \r\n or \r.
type sseReader struct {
	sc   *bufio.Scanner
	name string
	data strings.Builder
	has  bool // a data field was seen since the last dispatch
}

func newSSEReader(r io.Reader) *sseReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventBytes)
	sc.Split(scanSSELines)
	return &sseReader{sc: sc}
}

// next returns the next event or comment; io.EOF at the end of the stream
// (an event not terminated by a blank line is dropped, as the spec says).
func (p *sseReader) next() (sseEvent, error) {
	for p.sc.Scan() {
		line := p.sc.Bytes()
		if len(line) == 0 {
			if !p.has {
				p.name = ""
				continue
			}
			ev := sseEvent{name: p.name, data: strings.TrimSuffix(p.data.String(), "\n")}
			if ev.name == "" {
				ev.name = "message"
			}
			p.name, p.has = "", false
			p.data.Reset()
			return ev, nil
		}
		if line[0] == ':' {
			return sseEvent{comment: true, data: string(bytes.TrimSpace(line[1:]))}, nil
		}
		field, value, found := bytes.Cut(line, []byte(":"))
		if found && len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		switch string(field) {
		case "event":
			p.name = string(value)
		case "data":
			if p.data.Len()+len(value) > maxEventBytes {
				return sseEvent{}, errEventTooLong
			}
			p.data.Write(value)
			p.data.WriteByte('\n')
			p.has = true
		}
		// id and retry are not used: Mastodon does not replay events.
	}
	if err := p.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return sseEvent{}, errEventTooLong
		}
		return sseEvent{}, err
	}
	return sseEvent{}, io.EOF
}

// scanSSELines splits on \n, \r\n or a lone \r.
func scanSSELines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	for i, c := range data {
		switch c {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil // need one more byte to tell \r from \r\n
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
