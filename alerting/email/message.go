package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"

	"github.com/vigie-project/vigie/alerting"
)

// message renders n as an RFC 5322 message: multipart/alternative with a
// quoted-printable UTF-8 text part and HTML part, the subject encoded per
// RFC 2047, and Message-ID / In-Reply-To so that a thread's mails group in
// one conversation.
func (e *Notifier) message(n *alerting.Notification) ([]byte, error) {
	m, err := e.opts.Templates.Render(n, alerting.MarkupText)
	if err != nil {
		return nil, err
	}
	html, err := e.opts.Templates.RenderHTML(n)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	domain := "vigie.local"
	if at := strings.LastIndexByte(e.from.Address, '@'); at >= 0 {
		domain = e.from.Address[at+1:]
	}
	root := threadID(n.Key, domain)
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.String()
	}
	now := e.opts.Now().In(e.opts.Templates.Location())
	header := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	header("From", e.from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", encodeSubject(m.Subject))
	header("Date", now.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	if n.Status == alerting.StatusOpen && n.Escalation == 0 && n.Kind != alerting.KindDigest {
		header("Message-ID", root)
	} else {
		header("Message-ID", messageID(n, domain))
		header("In-Reply-To", root)
		header("References", root)
	}
	header("MIME-Version", "1.0")
	header("Content-Language", m.Lang)
	header("Auto-Submitted", "auto-generated")
	header("X-Auto-Response-Suppress", "All")
	header("X-Vigie-Key", sanitizeHeader(n.Key))
	if n.Drill {
		header("X-Vigie-Drill", "true")
	}
	if n.Severity >= 4 && (n.Status == alerting.StatusOpen || n.Status == alerting.StatusUpdate) {
		header("Importance", "high")
		header("X-Priority", "1")
	}

	mw := multipart.NewWriter(&buf)
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	buf.WriteString("\r\n")
	for _, part := range []struct{ ctype, body string }{
		{"text/plain; charset=utf-8", m.Body},
		{"text/html; charset=utf-8", html},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(crlf(part.body))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeSubject encodes a subject per RFC 2047 when it is not ASCII, folded
// so that no header line exceeds 78 characters.
func encodeSubject(s string) string {
	s = sanitizeHeader(s)
	enc := mime.QEncoding.Encode("utf-8", s)
	if enc == s {
		return s
	}
	var b strings.Builder
	line := len("Subject: ")
	for i, w := range strings.Split(enc, " ") {
		switch {
		case line+1+len(w) > 78: // fold, even before the first word
			b.WriteString("\r\n ")
			line = 1
		case i > 0:
			b.WriteString(" ")
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

func sanitizeHeader(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}

// threadID is the Message-ID of a thread's first mail.
func threadID(key, domain string) string {
	return "<vigie." + hash(key) + "@" + domain + ">"
}

func messageID(n *alerting.Notification, domain string) string {
	return fmt.Sprintf("<vigie.%s.%s.%d.%d@%s>", hash(n.Key), n.Status, n.At.UnixNano(), n.Escalation, domain)
}

// ThreadID returns the Message-ID vigie gives the first mail about key, for
// tests and for receivers that correlate.
func ThreadID(key, from string) string {
	domain := "vigie.local"
	if a, err := mail.ParseAddress(from); err == nil {
		if at := strings.LastIndexByte(a.Address, '@'); at >= 0 {
			domain = a.Address[at+1:]
		}
	}
	return threadID(key, domain)
}
