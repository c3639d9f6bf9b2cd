package bluesky

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serverFrame builds an unmasked frame as a server sends it.
func serverFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, byte(n))
	case n <= 0xFFFF:
		f = append(f, 126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, 127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	return append(f, payload...)
}

// readClientFrame reads a masked frame as a client sends it.
func readClientFrame(r *bufio.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&0x80 == 0 {
		return 0, nil, errors.New("client frame not masked")
	}
	n := int(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		io.ReadFull(r, b[:])
		n = int(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		io.ReadFull(r, b[:])
		n = int(binary.BigEndian.Uint64(b[:]))
	}
	var mask [4]byte
	if _, err := io.ReadFull(r, mask[:]); err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	for i := range payload {
		payload[i] ^= mask[i%4]
	}
	return h[0] & 0x0F, payload, nil
}

// wsUpgrade performs the server side of the handshake on a hijacked
// connection and returns it.
func wsUpgrade(t *testing.T, w http.ResponseWriter, r *http.Request) (io.ReadWriteCloser, *bufio.ReadWriter) {
	t.Helper()
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || r.Header.Get("Sec-WebSocket-Version") != "13" {
		http.Error(w, "not a websocket handshake", http.StatusBadRequest)
		return nil, nil
	}
	conn, brw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return nil, nil
	}
	brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		wsAccept(r.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n")
	brw.Flush()
	return conn, brw
}

func TestWSDialAndMessages(t *testing.T) {
	pong := make(chan []byte, 1)
	closed := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw := wsUpgrade(t, w, r)
		if conn == nil {
			return
		}
		defer conn.Close()
		brw.Write(serverFrame(true, opText, []byte(`{"a":1}`)))
		brw.Write(serverFrame(true, opPing, []byte("hb")))
		// A fragmented message with a ping in the middle.
		brw.Write(serverFrame(false, opText, []byte("frag")))
		brw.Write(serverFrame(true, opPing, nil))
		brw.Write(serverFrame(true, opContinuation, []byte("mented")))
		brw.Write(serverFrame(true, opBinary, bytes.Repeat([]byte{7}, 70000)))
		brw.Write(serverFrame(true, opClose, []byte{0x03, 0xE9, 'b', 'y', 'e'})) // 1001 going away
		brw.Flush()
		for {
			op, p, err := readClientFrame(brw.Reader)
			if err != nil {
				return
			}
			switch op {
			case opPong:
				select {
				case pong <- p:
				default:
				}
			case opClose:
				closed <- p
				return
			}
		}
	}))
	defer srv.Close()
	conn, resp, err := wsDial(context.Background(), srv.Client(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/subscribe", nil)
	if err != nil || conn == nil {
		t.Fatalf("dial: %v (status %v)", err, resp)
	}
	defer conn.close()
	want := []struct {
		op  byte
		msg string
	}{{opText, `{"a":1}`}, {opText, "fragmented"}, {opBinary, strings.Repeat("\x07", 70000)}}
	for i, w := range want {
		op, msg, err := conn.next()
		if err != nil || op != w.op || string(msg) != w.msg {
			t.Fatalf("message %d: op %d, %d bytes, %v", i, op, len(msg), err)
		}
	}
	_, _, err = conn.next()
	var ce *wsCloseError
	if !errors.As(err, &ce) || ce.code != 1001 || ce.reason != "bye" {
		t.Fatalf("err = %v, want the server's close", err)
	}
	if p := <-pong; string(p) != "hb" {
		t.Errorf("pong payload = %q, want the ping's", p)
	}
	if p := <-closed; !bytes.Equal(p, []byte{0x03, 0xE9}) {
		t.Errorf("close reply = %v, want the code echoed", p)
	}
}

func TestWSDialRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	conn, resp, err := wsDial(context.Background(), srv.Client(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil || conn != nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("conn %v resp %v err %v", conn, resp, err)
	}
	resp.Body.Close()
	if _, _, err := wsDial(context.Background(), srv.Client(), srv.URL, nil); err == nil {
		t.Fatal("http:// URL accepted")
	}
}

func TestWSProtocolErrors(t *testing.T) {
	for name, in := range map[string][]byte{
		"masked from server":   {0x81, 0x81, 1, 2, 3, 4, 'x'},
		"reserved bits":        {0xC1, 0x00},
		"long control frame":   append([]byte{0x89, 126, 0, 200}, make([]byte, 200)...),
		"fragmented control":   {0x09, 0x00},
		"unknown opcode":       {0x83, 0x00},
		"lone continuation":    {0x80, 0x00},
		"message in message":   {0x01, 0x01, 'a', 0x81, 0x01, 'b'},
		"bad utf-8":            {0x81, 0x02, 0xff, 0xfe},
		"frame over the bound": {0x82, 127, 0, 0, 0, 0, 0, 0x50, 0, 0},
	} {
		_, _, err := readMessage(bufio.NewReader(bytes.NewReader(in)), maxMessage, func(byte, []byte) error { return nil })
		if !errors.Is(err, errWSProtocol) {
			t.Errorf("%s: err = %v, want errWSProtocol", name, err)
		}
	}
	_, _, err := readMessage(bufio.NewReader(bytes.NewReader([]byte{0x81, 0x05, 'a'})), maxMessage, nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated frame: %v", err)
	}
}

func FuzzWSReadMessage(f *testing.F) {
	f.Add(serverFrame(true, opText, []byte(`{"kind":"commit"}`)))
	f.Add(append(serverFrame(false, opText, []byte("a")), serverFrame(true, opContinuation, []byte("b"))...))
	f.Add(serverFrame(true, opClose, []byte{3, 232}))
	f.Add([]byte{0x82, 127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bufio.NewReader(bytes.NewReader(in))
		for range 100 {
			_, msg, err := readMessage(r, 1<<16, func(op byte, p []byte) error {
				if op == opClose {
					return errors.New("closed")
				}
				return nil
			})
			if err != nil {
				return
			}
			if len(msg) > len(in) {
				t.Fatalf("message of %d bytes out of %d", len(msg), len(in))
			}
		}
	})
}
