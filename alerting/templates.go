package alerting

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"
	"time"
	_ "time/tzdata" // Europe/Paris must resolve in minimal containers too
)

// DefaultLocation is the time zone messages and time windows use unless
// configured otherwise.
const DefaultLocation = "Europe/Paris"

// ErrTemplate is wrapped by template loading and rendering failures.
var ErrTemplate = errors.New("alerting: template")

//go:embed templates/*.tmpl
var embedded embed.FS

// Names of the templates channels render. Operators may redefine any of
// them (and the label_* ones) in <dir>/<lang>.tmpl, and "html" in
// <dir>/<lang>.html.tmpl.
const (
	TemplateSubject = "subject" // email subject: no emoji
	TemplateTitle   = "title"   // chat title, with the severity icon
	TemplateBody    = "body"    // the full message, in the requested markup
)

// TemplateConfig says where operators' overrides live and which language
// and time zone to use.
type TemplateConfig struct {
	Dir         string // optional directory of overrides
	Location    string // IANA zone for times in messages; default Europe/Paris
	DefaultLang string // language when a notification has none; default "fr"
}

// Templates renders notifications in French and English. It is safe for
// concurrent use.
type Templates struct {
	text        map[string]*texttemplate.Template
	html        map[string]*htmltemplate.Template
	labels      []string // names of the label_* templates
	loc         *time.Location
	defaultLang string
}

// DefaultTemplates returns the embedded templates, Europe/Paris time and
// French as the default language.
func DefaultTemplates() (*Templates, error) { return NewTemplates(TemplateConfig{}) }

// NewTemplates parses the embedded templates, then the operator's overrides.
func NewTemplates(cfg TemplateConfig) (*Templates, error) {
	if cfg.Location == "" {
		cfg.Location = DefaultLocation
	}
	loc, err := time.LoadLocation(cfg.Location)
	if err != nil {
		return nil, fmt.Errorf("%w: location %q: %w", ErrTemplate, cfg.Location, err)
	}
	if cfg.DefaultLang == "" {
		cfg.DefaultLang = LangFrench
	}
	if cfg.DefaultLang != LangFrench && cfg.DefaultLang != LangEnglish {
		return nil, fmt.Errorf("%w: default_lang %q is not fr or en", ErrTemplate, cfg.DefaultLang)
	}
	t := &Templates{
		text:        map[string]*texttemplate.Template{},
		html:        map[string]*htmltemplate.Template{},
		loc:         loc,
		defaultLang: cfg.DefaultLang,
	}
	funcs := texttemplate.FuncMap{"join": strings.Join}
	htmlFuncs := htmltemplate.FuncMap{"join": strings.Join}
	for _, lang := range []string{LangFrench, LangEnglish} {
		tt, err := texttemplate.New(lang).Funcs(funcs).ParseFS(embedded, "templates/"+lang+".tmpl")
		if err != nil {
			return nil, fmt.Errorf("%w: embedded %s.tmpl: %w", ErrTemplate, lang, err)
		}
		ht, err := htmltemplate.New(lang).Funcs(htmlFuncs).ParseFS(embedded, "templates/email.html.tmpl")
		if err != nil {
			return nil, fmt.Errorf("%w: embedded email.html.tmpl: %w", ErrTemplate, err)
		}
		if cfg.Dir != "" {
			if tt, err = overrideText(tt, cfg.Dir, lang); err != nil {
				return nil, err
			}
			if ht, err = overrideHTML(ht, cfg.Dir, lang); err != nil {
				return nil, err
			}
		}
		for _, name := range []string{TemplateSubject, TemplateTitle, TemplateBody, "headline", "summary", "footer", "details", "digest_line"} {
			if tt.Lookup(name) == nil {
				return nil, fmt.Errorf("%w: %s: template %q is not defined", ErrTemplate, lang, name)
			}
		}
		if ht.Lookup("html") == nil {
			return nil, fmt.Errorf("%w: %s: template \"html\" is not defined", ErrTemplate, lang)
		}
		t.text[lang], t.html[lang] = tt, ht
	}
	for _, tpl := range t.text[LangFrench].Templates() {
		if name, ok := strings.CutPrefix(tpl.Name(), "label_"); ok {
			t.labels = append(t.labels, name)
		}
	}
	return t, nil
}

func overrideText(tt *texttemplate.Template, dir, lang string) (*texttemplate.Template, error) {
	path := filepath.Join(dir, lang+".tmpl")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return tt, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrTemplate, path, err)
	}
	if tt, err = tt.Parse(string(b)); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrTemplate, path, err)
	}
	return tt, nil
}

func overrideHTML(ht *htmltemplate.Template, dir, lang string) (*htmltemplate.Template, error) {
	path := filepath.Join(dir, lang+".html.tmpl")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ht, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrTemplate, path, err)
	}
	if ht, err = ht.Parse(string(b)); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrTemplate, path, err)
	}
	return ht, nil
}

// Location is the time zone messages are written in.
func (t *Templates) Location() *time.Location { return t.loc }

// Lang returns the language n is rendered in: n.Lang, else the default.
func (t *Templates) Lang(n *Notification) string {
	if n.Lang == LangFrench || n.Lang == LangEnglish {
		return n.Lang
	}
	return t.defaultLang
}

// Message is a notification rendered for one markup: everything a channel
// needs to build its payload.
type Message struct {
	Lang     string
	Subject  string            // no emoji, for email subjects and summaries
	Title    string            // with the severity icon, for chat headers
	Summary  string            // one line: what, how big, since when
	Body     string            // the whole message in the requested markup
	Details  string            // the body without headline, summary, links and footer, in the markup
	Footer   string            // reference and date, plain text
	Labels   map[string]string // button and field labels: console, ack, volume…
	Headline string            // the title without drill prefix nor icon
}

// Render renders n for markup (MarkupText, MarkupSlack, MarkupMarkdown,
// MarkupTelegram). Subject, Title, Summary and Labels are plain text.
func (t *Templates) Render(n *Notification, markup string) (*Message, error) {
	lang := t.Lang(n)
	v, err := t.view(n, lang, markup)
	if err != nil {
		return nil, err
	}
	tt := t.text[lang]
	if v.Details, err = execText(tt, "details", v); err != nil {
		return nil, err
	}
	m := &Message{Lang: lang, Labels: v.Labels, Headline: v.Headline, Summary: v.Summary, Details: v.Details, Footer: v.Footer}
	plain := *v
	plain.Markup = MarkupText
	if m.Subject, err = execText(tt, TemplateSubject, &plain); err != nil {
		return nil, err
	}
	if m.Title, err = execText(tt, TemplateTitle, &plain); err != nil {
		return nil, err
	}
	name := TemplateBody
	if tt.Lookup(TemplateBody+"_"+markup) != nil { // an operator's per-markup body
		name = TemplateBody + "_" + markup
	}
	if m.Body, err = execText(tt, name, v); err != nil {
		return nil, err
	}
	return m, nil
}

// RenderHTML renders the email HTML part of n.
func (t *Templates) RenderHTML(n *Notification) (string, error) {
	lang := t.Lang(n)
	v, err := t.view(n, lang, MarkupHTML)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.html[lang].ExecuteTemplate(&b, "html", v); err != nil {
		return "", fmt.Errorf("%w: %s html: %w", ErrTemplate, lang, err)
	}
	return b.String(), nil
}

// view builds the data of a template: formatted numbers first, then labels,
// headline, summary and digest lines rendered as plain text.
func (t *Templates) view(n *Notification, lang, markup string) (*View, error) {
	v := newView(n, lang, markup, t.loc)
	tt := t.text[lang]
	plain := *v
	plain.Markup = MarkupText
	v.Labels = make(map[string]string, len(t.labels))
	for _, name := range t.labels {
		s, err := execText(tt, "label_"+name, &plain)
		if err != nil {
			return nil, err
		}
		v.Labels[name] = s
	}
	plain.Labels = v.Labels
	var err error
	if v.Headline, err = execText(tt, "headline", &plain); err != nil {
		return nil, err
	}
	if v.Summary, err = execText(tt, "summary", &plain); err != nil {
		return nil, err
	}
	if v.Footer, err = execText(tt, "footer", &plain); err != nil {
		return nil, err
	}
	for _, d := range n.Digest {
		dv := &DigestView{DigestEntry: d, Lang: lang, ClockText: FormatClock(lang, d.At, n.At, t.loc)}
		line, err := execText(tt, "digest_line", dv)
		if err != nil {
			return nil, err
		}
		v.DigestLines = append(v.DigestLines, line)
	}
	return v, nil
}

// DigestView is what the digest_line template sees.
type DigestView struct {
	DigestEntry
	Lang      string
	ClockText string
}

func execText(tt *texttemplate.Template, name string, data any) (string, error) {
	var b bytes.Buffer
	if err := tt.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("%w: %s %s: %w", ErrTemplate, tt.Name(), name, err)
	}
	return strings.TrimSpace(b.String()), nil
}
