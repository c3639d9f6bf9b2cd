package email

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/alerting/internal/channeltest"
)

const (
	user     = "vigie@example.com"
	password = "s3cr3t-p@ss"
)

// mailbox is an in-process SMTP server (github.com/emersion/go-smtp).
type mailbox struct {
	mu       sync.Mutex
	mails    []received
	authMech string
	authUser string
	rcptErr  *smtp.SMTPError // answer to RCPT TO, when set
}

type received struct {
	from string
	to   []string
	data []byte
	tls  bool
}

type session struct {
	box  *mailbox
	conn *smtp.Conn
	from string
	to   []string
	user string
}

func (b *mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{box: b, conn: c}, nil
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(u, p string) error {
		if u != user || p != password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.box.mu.Lock()
		s.box.authMech, s.box.authUser = mech, u
		s.box.mu.Unlock()
		s.user = u
		return nil
	}
	if mech == sasl.Login {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, u, p string) error { return check(u, p) }), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	if s.box.rcptErr != nil {
		return s.box.rcptErr
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.box.mu.Lock()
	s.box.mails = append(s.box.mails, received{from: s.from, to: s.to, data: b, tls: isTLS})
	s.box.mu.Unlock()
	return nil
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN (go-sasl has only the
// client): the client sends the user name as its initial response.
type loginServer struct {
	check func(u, p string) error
	user  string
	step  int
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		l.user = string(resp)
		l.step++
		return []byte("Password:"), false, nil
	case 1:
		l.user = string(resp)
		l.step++
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
}

func (b *mailbox) received() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.mails...)
}

// startServer runs the mailbox on 127.0.0.1 with a fresh self-signed
// certificate, STARTTLS or implicit TLS; it returns the port and the CA file.
func startServer(t *testing.T, box *mailbox, implicit bool) (int, string) {
	t.Helper()
	cert, caPEM := selfSigned(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(box)
	srv.Domain = "mx.test"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ErrorLog = nopLogger{}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	var l net.Listener
	var err error
	if implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().(*net.TCPAddr).Port, caFile
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, DNSNames: []string{"mx.test"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM
}

var sentAt = time.Date(2015, 10, 5, 12, 41, 0, 0, time.UTC)

func newNotifier(t *testing.T, cfg Config) *Notifier {
	t.Helper()
	n, err := New(cfg, alerting.WithName("management"), alerting.WithClock(func() time.Time { return sentAt }))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// parsed is a received mail taken apart.
type parsed struct {
	header  mail.Header
	subject string
	text    string
	html    string
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, data)
	}
	p := parsed{header: msg.Header}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v)", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		switch part.Header.Get("Content-Type") {
		case "text/plain; charset=utf-8":
			p.text = string(b)
		case "text/html; charset=utf-8":
			p.html = string(b)
		default:
			t.Errorf("unexpected part %q", part.Header.Get("Content-Type"))
		}
	}
	return p
}

func TestStartTLSPlainFrench(t *testing.T) {
	box := &mailbox{}
	port, ca := startServer(t, box, false)
	n := newNotifier(t, Config{
		Host: "127.0.0.1", Port: port, ServerName: "mx.test", CAFile: ca, Username: user, Password: password,
		From: "vigie <vigie@example.com>", To: []string{"Direction <direction@example.com>", "Hélène Dupré <helene@example.com>"},
	})
	note := channeltest.Sample()
	note.Drill = true
	if retry, err := n.Notify(context.Background(), note); err != nil {
		t.Fatalf("Notify: retry %v, %v", retry, err)
	}
	mails := box.received()
	if len(mails) != 1 {
		t.Fatalf("%d mails received", len(mails))
	}
	got := mails[0]
	if !got.tls || box.authMech != sasl.Plain || box.authUser != user {
		t.Errorf("tls %v auth %q %q; want STARTTLS and PLAIN", got.tls, box.authMech, box.authUser)
	}
	if got.from != "vigie@example.com" || strings.Join(got.to, ",") != "direction@example.com,helene@example.com" {
		t.Errorf("envelope from %q to %v", got.from, got.to)
	}
	raw := string(got.data)
	rawSubject := raw[strings.Index(raw, "Subject: ") : strings.Index(raw, "Subject: ")+strings.Index(raw[strings.Index(raw, "Subject: "):], "\r\nDate:")]
	if !strings.Contains(rawSubject, "=?utf-8?q?") || strings.ContainsAny(rawSubject, "éè×") {
		t.Errorf("raw subject is not RFC 2047 encoded ASCII: %q", rawSubject)
	}
	for _, line := range strings.Split(rawSubject, "\r\n") {
		if len(line) > 78 {
			t.Errorf("subject line of %d characters: %q", len(line), line)
		}
	}
	p := parse(t, got.data)
	if p.subject != "[EXERCICE] Crise détectée : Air France (sévérité 4/5)" {
		t.Errorf("subject = %q", p.subject)
	}
	if p.header.Get("From") != `"vigie" <vigie@example.com>` || !strings.Contains(p.header.Get("To"), "=?utf-8?q?H=C3=A9l=C3=A8ne_Dupr=C3=A9?= <helene@example.com>") {
		t.Errorf("From %q To %q", p.header.Get("From"), p.header.Get("To"))
	}
	if p.header.Get("Message-ID") != ThreadID(note.Key, "vigie@example.com") || p.header.Get("Auto-Submitted") != "auto-generated" || p.header.Get("Date") != "Mon, 05 Oct 2015 14:41:00 +0200" || p.header.Get("Content-Language") != "fr" || p.header.Get("Importance") != "high" {
		t.Errorf("headers = %v", p.header)
	}
	for _, want := range []string{"EXERCICE", "1\u00a0240 mentions/h, 18× la normale, depuis 14:05 (35\u00a0min)", "«\u00a0Le DRH d’Air France", "@bfmtv", "Ouvrir la console\u00a0: https://vigie.example/crises/42", "Prendre en charge\u00a0: https://vigie.example/ack/42?t=abc"} {
		if !strings.Contains(p.text, want) {
			t.Errorf("text part lacks %q:\n%s", want, p.text)
		}
	}
	for _, want := range []string{`<html lang="fr">`, "EXERCICE — ceci n’est pas une vraie alerte", `href="https://vigie.example/ack/42?t=abc"`, "&lt;!channel&gt;", "18×"} {
		if !strings.Contains(p.html, want) {
			t.Errorf("html part lacks %q", want)
		}
	}
}

func TestImplicitTLSLoginEnglishThread(t *testing.T) {
	box := &mailbox{}
	port, ca := startServer(t, box, true)
	n := newNotifier(t, Config{
		Host: "127.0.0.1", Port: port, TLS: TLSImplicit, ServerName: "mx.test", CAFile: ca, Auth: "login",
		Username: user, PasswordFile: writeFile(t, password+"\n"), From: "vigie@example.com", To: []string{"oncall@example.com"},
	})
	res := channeltest.Sample()
	res.Lang, res.Status = alerting.LangEnglish, alerting.StatusResolved
	res.At = res.At.Add(2 * time.Hour)
	if _, err := n.Notify(context.Background(), res); err != nil {
		t.Fatal(err)
	}
	mails := box.received()
	if len(mails) != 1 || !mails[0].tls || box.authMech != sasl.Login {
		t.Fatalf("mails %d, tls %v, mech %q", len(mails), len(mails) == 1 && mails[0].tls, box.authMech)
	}
	p := parse(t, mails[0].data)
	root := ThreadID(res.Key, "vigie@example.com")
	if p.subject != "Crisis over: Air France" || p.header.Get("In-Reply-To") != root || p.header.Get("References") != root || p.header.Get("Message-ID") == root {
		t.Errorf("subject %q, threading %v", p.subject, p.header)
	}
	if !strings.Contains(p.text, "Over at 16:40, after 2\u00a0h\u00a035 (started at 14:05).") || strings.Contains(p.text, "Acknowledge") {
		t.Errorf("text:\n%s", p.text)
	}
	if p.header.Get("Importance") != "" {
		t.Error("a resolution is marked important")
	}
}

func TestSMTPErrors(t *testing.T) {
	box := &mailbox{rcptErr: &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "Mailbox busy"}}
	port, ca := startServer(t, box, false)
	cfg := Config{Host: "127.0.0.1", Port: port, ServerName: "mx.test", CAFile: ca, Username: user, Password: password, From: "vigie@example.com", To: []string{"a@example.com"}}
	n := newNotifier(t, cfg)
	retry, err := n.Notify(context.Background(), channeltest.Sample())
	if !retry || err == nil || !strings.Contains(err.Error(), `email receiver "management"`) || !strings.Contains(err.Error(), "450") {
		t.Errorf("450: retry %v err %v; want a retry", retry, err)
	}
	box.mu.Lock()
	box.rcptErr = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	box.mu.Unlock()
	if retry, err = n.Notify(context.Background(), channeltest.Sample()); retry || err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("550: retry %v err %v; want no retry", retry, err)
	}

	cfg.Password = "wrong-s3cr3t"
	n = newNotifier(t, cfg)
	retry, err = n.Notify(context.Background(), channeltest.Sample())
	if retry || err == nil || !strings.Contains(err.Error(), "535") {
		t.Errorf("bad password: retry %v err %v", retry, err)
	}
	channeltest.NoSecret(t, "auth error", err.Error(), "wrong-s3cr3t", password)

	// A certificate the client does not trust: a configuration problem.
	cfg.CAFile, cfg.Password = "", password
	n = newNotifier(t, cfg)
	if retry, err = n.Notify(context.Background(), channeltest.Sample()); retry || err == nil {
		t.Errorf("untrusted certificate: retry %v err %v", retry, err)
	}

	// Nothing listens: worth a retry.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg.Port = dead
	n = newNotifier(t, cfg)
	if retry, err = n.Notify(context.Background(), channeltest.Sample()); !retry || err == nil {
		t.Errorf("connection refused: retry %v err %v", retry, err)
	}
}

func TestConfig(t *testing.T) {
	base := func() Config {
		return Config{Host: "smtp.example.com", From: "vigie@example.com", To: []string{"a@example.com"}}
	}
	bad := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Host = "" }, "host is required"},
		{func(c *Config) { c.TLS = "ssl" }, `tls: "ssl"`},
		{func(c *Config) { c.TLS, c.Username, c.Password = TLSNone, "u", "p" }, "AUTH needs tls"},
		{func(c *Config) { c.Username = "u" }, "password or password_file is required"},
		{func(c *Config) { c.Username, c.Password, c.Auth = "u", "p", "cram-md5" }, `auth: "cram-md5"`},
		{func(c *Config) { c.Password = "p" }, "without username"},
		{func(c *Config) { c.From = "not an address" }, "from:"},
		{func(c *Config) { c.To = nil }, "to: at least one"},
		{func(c *Config) { c.To = []string{"a@example.com", "b"} }, "to[1]"},
	}
	for _, b := range bad {
		c := base()
		b.mod(&c)
		c.SetDefaults()
		if err := c.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Validate = %v, want %q", err, b.want)
		}
	}
	c := base()
	c.TLS = TLSImplicit
	c.SetDefaults()
	if c.Port != 465 || c.Hello != "localhost" {
		t.Errorf("defaults = %+v", c)
	}
}

func TestSubjectFolding(t *testing.T) {
	long := "[EXERCICE] Crise détectée : Très Grande Entreprise Française de Télécommunications (sévérité 5/5)"
	enc := encodeSubject(long)
	for _, line := range strings.Split("Subject: "+enc, "\r\n") {
		if len(line) > 78 {
			t.Errorf("line of %d characters: %q", len(line), line)
		}
	}
	dec, err := new(mime.WordDecoder).DecodeHeader(strings.TrimSpace(strings.ReplaceAll(enc, "\r\n", "")))
	if err != nil || dec != long {
		t.Errorf("round trip = %q, %v", dec, err)
	}
	if encodeSubject("Crisis over: Air France") != "Crisis over: Air France" {
		t.Error("an ASCII subject was encoded")
	}
	if strings.ContainsAny(encodeSubject("a\r\nBcc: x@example.com"), "\r\n") {
		t.Error("a subject can inject a header")
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret-"+strconv.Itoa(len(content)))
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
