package bluesky

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"
)

// A minimal RFC 6455 WebSocket client, enough for Jetstream: the opening
// handshake through an http.Client (the Transport hands the connection
// over on 101 Switching Protocols), text and binary messages (fragmented
// or not), ping/pong, close. No extensions (no compression).

// WebSocket opcodes.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// maxMessage bounds one message; a Jetstream event is a few KiB.
const maxMessage = 4 << 20

// wsGUID is the handshake's magic GUID (RFC 6455 §1.3).
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// errWSProtocol is wrapped by every violation of the protocol by the
// server.
var errWSProtocol = errors.New("websocket: protocol error")

// wsCloseError is a close frame from the server.
type wsCloseError struct {
	code   int
	reason string
}

func (e *wsCloseError) Error() string {
	return fmt.Sprintf("websocket: closed by the server (%d %s)", e.code, e.reason)
}

// wsConn is an open WebSocket. next is for one reader goroutine; close
// may be called from any goroutine.
type wsConn struct {
	rwc io.ReadWriteCloser
	br  *bufio.Reader

	wmu       sync.Mutex // writes: pongs from next, the close frame from close
	closeOnce sync.Once
}

// wsDial opens a WebSocket to rawURL (ws:// or wss://) with hc.
func wsDial(ctx context.Context, hc *http.Client, rawURL string, header http.Header) (*wsConn, *http.Response, error) {
	u := rawURL
	switch {
	case strings.HasPrefix(u, "wss://"):
		u = "https://" + u[len("wss://"):]
	case strings.HasPrefix(u, "ws://"):
		u = "http://" + u[len("ws://"):]
	default:
		return nil, nil, fmt.Errorf("websocket: %q is not a ws:// or wss:// URL", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("websocket: %w", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, nil, fmt.Errorf("websocket: %w", err)
	}
	key := base64.StdEncoding.EncodeToString(nonce[:])
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", key)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, resp, nil // the caller reads and closes the body
	}
	rwc, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		resp.Body.Close()
		return nil, nil, fmt.Errorf("%w: the HTTP transport did not hand the connection over", errWSProtocol)
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") ||
		resp.Header.Get("Sec-WebSocket-Accept") != wsAccept(key) {
		rwc.Close()
		return nil, nil, fmt.Errorf("%w: bad handshake response", errWSProtocol)
	}
	return &wsConn{rwc: rwc, br: bufio.NewReaderSize(rwc, 64<<10)}, resp, nil
}

// wsAccept is the Sec-WebSocket-Accept value expected for key.
func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// next returns the next text or binary message, answering pings on the
// way. It returns *wsCloseError when the server closes, an error wrapping
// errWSProtocol for a malformed frame, or the read error.
func (c *wsConn) next() (opcode byte, msg []byte, err error) {
	return readMessage(c.br, maxMessage, c.control)
}

// control answers a ping with a pong, and a close with a close.
func (c *wsConn) control(op byte, payload []byte) error {
	switch op {
	case opPing:
		return c.write(opPong, payload)
	case opClose:
		code, reason := 1005, ""
		if len(payload) >= 2 {
			code, reason = int(binary.BigEndian.Uint16(payload)), string(payload[2:])
		}
		c.closeOnce.Do(func() { _ = c.write(opClose, payload[:min(len(payload), 2)]) })
		return &wsCloseError{code: code, reason: reason}
	}
	return nil // a pong: nothing to do
}

// close sends a normal close frame and closes the connection.
func (c *wsConn) close() error {
	c.closeOnce.Do(func() { _ = c.write(opClose, []byte{0x03, 0xE8}) }) // 1000
	return c.rwc.Close()
}

// write sends one masked frame (clients must mask, RFC 6455 §5.3).
func (c *wsConn) write(op byte, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	frame, err := maskedFrame(op, payload)
	if err != nil {
		return err
	}
	_, err = c.rwc.Write(frame)
	return err
}

func maskedFrame(op byte, payload []byte) ([]byte, error) {
	var mask [4]byte
	if _, err := rand.Read(mask[:]); err != nil {
		return nil, err
	}
	n := len(payload)
	frame := make([]byte, 0, 14+n)
	frame = append(frame, 0x80|op)
	switch {
	case n < 126:
		frame = append(frame, 0x80|byte(n))
	case n <= 0xFFFF:
		frame = append(frame, 0x80|126)
		frame = binary.BigEndian.AppendUint16(frame, uint16(n))
	default:
		frame = append(frame, 0x80|127)
		frame = binary.BigEndian.AppendUint64(frame, uint64(n))
	}
	frame = append(frame, mask[:]...)
	for i, b := range payload {
		frame = append(frame, b^mask[i%4])
	}
	return frame, nil
}

// readMessage reads frames until a complete text or binary message,
// calling control for each control frame (which may come between the
// fragments of a message). A message longer than max is an error.
func readMessage(r *bufio.Reader, max int, control func(op byte, payload []byte) error) (byte, []byte, error) {
	var msg []byte
	var msgOp byte
	for {
		fin, op, payload, err := readFrame(r, max)
		if err != nil {
			return 0, nil, err
		}
		switch op {
		case opClose, opPing, opPong:
			if err := control(op, payload); err != nil {
				return 0, nil, err
			}
			continue
		case opText, opBinary:
			if msgOp != 0 {
				return 0, nil, fmt.Errorf("%w: new message inside a fragmented one", errWSProtocol)
			}
			msgOp = op
		case opContinuation:
			if msgOp == 0 {
				return 0, nil, fmt.Errorf("%w: continuation without a message", errWSProtocol)
			}
		default:
			return 0, nil, fmt.Errorf("%w: unknown opcode %#x", errWSProtocol, op)
		}
		if len(msg)+len(payload) > max {
			return 0, nil, fmt.Errorf("%w: message over %d bytes", errWSProtocol, max)
		}
		msg = append(msg, payload...)
		if fin {
			if msgOp == opText && !utf8.Valid(msg) {
				return 0, nil, fmt.Errorf("%w: text message is not UTF-8", errWSProtocol)
			}
			return msgOp, msg, nil
		}
	}
}

// readFrame reads one frame from the server (unmasked, RFC 6455 §5.1).
func readFrame(r *bufio.Reader, max int) (fin bool, op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return false, 0, nil, err
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0F
	if h[0]&0x70 != 0 {
		return false, 0, nil, fmt.Errorf("%w: reserved bits set without an extension", errWSProtocol)
	}
	if h[1]&0x80 != 0 {
		return false, 0, nil, fmt.Errorf("%w: masked frame from the server", errWSProtocol)
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return false, 0, nil, unexpected(err)
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return false, 0, nil, unexpected(err)
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if op >= opClose && (n > 125 || !fin) {
		return false, 0, nil, fmt.Errorf("%w: control frame too long or fragmented", errWSProtocol)
	}
	if n > uint64(max) {
		return false, 0, nil, fmt.Errorf("%w: frame of %d bytes", errWSProtocol, n)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return false, 0, nil, unexpected(err)
	}
	return fin, op, payload, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
