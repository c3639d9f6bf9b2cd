package alerting

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Markups a message body can be rendered in.
const (
	MarkupText     = "text"     // plain text: email text part, webhook, fallbacks
	MarkupSlack    = "slack"    // Slack mrkdwn
	MarkupMarkdown = "markdown" // Mattermost and Teams (Adaptive Card TextBlock)
	MarkupTelegram = "telegram" // Telegram Bot API parse_mode HTML
	MarkupHTML     = "html"     // email HTML part (html/template escapes)
)

// MaxPostRunes is how much of a sample post a message quotes.
const MaxPostRunes = 280

// View is what templates see: the notification's fields plus ready-made
// localised strings and markup helpers for the markup being rendered.
type View struct {
	*Notification

	Lang     string // "fr" or "en": the language this message is written in
	Markup   string // MarkupText, MarkupSlack, …
	Location *time.Location

	ObservedText      string // "1 240" / "1,240"
	ExpectedText      string
	RatioText         string // "18", "2,5": add "×" or "x"
	HasRatio          bool   // Expected > 0
	HasVolume         bool   // Observed or Expected is set
	SinceText         string // "14:05", or "4 oct. 14:05" on another day
	AtText            string
	ForText           string // time elapsed from Since to At: "35 min"
	DateText          string // At with date and zone, for footers
	EmployeeShareText string // "12 %" / "12%"
	SeverityIcon      string // an emoji for chat headers
	Posts             []PostView
	Spreaders         []SpreaderView
	WatchLabel        string // WatchName, else Watch
	ShowAck           bool   // an ack link makes sense (open or update with AckURL)

	// Rendered before the body, as plain text (escape them with E).
	Labels      map[string]string // label_* templates: "console", "ack", …
	Headline    string
	Summary     string
	Footer      string // reference and date
	DigestLines []string
	Details     string // rendered in the view's markup (already escaped)
}

// PostView is a sample post with its numbers formatted.
type PostView struct {
	Post
	FollowersText string
	Short         string // the text cut to MaxPostRunes
}

// SpreaderView is a spreader with its numbers formatted.
type SpreaderView struct {
	Spreader
	FollowersText string
}

func newView(n *Notification, lang, markup string, loc *time.Location) *View {
	v := &View{Notification: n, Lang: lang, Markup: markup, Location: loc}
	v.ObservedText = FormatCount(lang, n.Observed)
	v.ExpectedText = FormatCount(lang, n.Expected)
	if r, ok := n.Ratio(); ok {
		v.HasRatio = true
		v.RatioText = FormatRatio(lang, r)
	}
	v.HasVolume = n.Observed > 0 || n.Expected > 0
	since := n.Since
	if since.IsZero() {
		since = n.At
	}
	v.SinceText = FormatClock(lang, since, n.At, loc)
	v.AtText = FormatClock(lang, n.At, n.At, loc)
	v.ForText = FormatDuration(lang, n.At.Sub(since))
	v.DateText = FormatDateTime(lang, n.At, loc)
	if n.EmployeeShare > 0 {
		v.EmployeeShareText = FormatPercent(lang, n.EmployeeShare)
	}
	v.SeverityIcon = severityIcon(n)
	v.WatchLabel = n.WatchName
	if v.WatchLabel == "" {
		v.WatchLabel = n.Watch
	}
	v.ShowAck = n.AckURL != "" && (n.Status == StatusOpen || n.Status == StatusUpdate) && n.Kind != KindDigest
	for _, p := range n.SamplePosts {
		v.Posts = append(v.Posts, PostView{Post: p, FollowersText: FormatCount(lang, float64(p.Followers)), Short: Truncate(strings.TrimSpace(p.Text), MaxPostRunes)})
	}
	for _, s := range n.TopSpreaders {
		v.Spreaders = append(v.Spreaders, SpreaderView{Spreader: s, FollowersText: FormatCount(lang, float64(s.Followers))})
	}
	return v
}

func severityIcon(n *Notification) string {
	switch {
	case n.Status == StatusResolved:
		return "✅"
	case n.Status == StatusAcknowledged:
		return "👀"
	case n.Kind == KindDigest:
		return "📋"
	case n.Severity >= 4:
		return "🔴"
	case n.Severity == 3:
		return "🟠"
	}
	return "🟡"
}

// Is reports whether the notification has the given status ("open",
// "update", "resolved", "acknowledged").
func (v *View) Is(status string) bool { return v.Status == status }

// Count formats a number for the view's language.
func (v *View) Count(x any) string {
	switch n := x.(type) {
	case int:
		return FormatCount(v.Lang, float64(n))
	case int64:
		return FormatCount(v.Lang, float64(n))
	case float64:
		return FormatCount(v.Lang, n)
	}
	return fmt.Sprint(x)
}

// Clock formats a time of the thread in the view's language and zone.
func (v *View) Clock(t time.Time) string { return FormatClock(v.Lang, t, v.At, v.Location) }

// E escapes text coming from outside (posts, handles, watch names) for the
// markup: a post must not ping a Slack channel, forge a link or break HTML.
func (v *View) E(s string) string {
	switch v.Markup {
	case MarkupSlack:
		return slackEscaper.Replace(s)
	case MarkupMarkdown:
		return markdownEscaper.Replace(s)
	case MarkupTelegram:
		return telegramEscaper.Replace(s)
	}
	return s
}

// B writes s (escaped) in bold.
func (v *View) B(s string) string {
	s = v.E(s)
	switch v.Markup {
	case MarkupSlack:
		return "*" + s + "*"
	case MarkupMarkdown:
		return "**" + s + "**"
	case MarkupTelegram:
		return "<b>" + s + "</b>"
	}
	return s
}

// Link writes a link to rawURL labelled label (escaped). Only http and
// https URLs are linked; anything else is written as plain text.
func (v *View) Link(rawURL, label string) string {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return v.E(label)
	}
	href := u.String()
	switch v.Markup {
	case MarkupSlack:
		return "<" + slackURLEscaper.Replace(href) + "|" + v.E(label) + ">"
	case MarkupMarkdown:
		return "[" + v.E(label) + "](" + markdownURLEscaper.Replace(href) + ")"
	case MarkupTelegram:
		return `<a href="` + telegramEscaper.Replace(href) + `">` + v.E(label) + "</a>"
	}
	if v.Lang == LangFrench {
		return label + "\u00a0: " + href
	}
	return label + ": " + href
}

// Quote writes a quoted excerpt (escaped) on one line, with the quotation
// marks of the view's language.
func (v *View) Quote(s string) string {
	s = v.E(strings.Join(strings.Fields(s), " "))
	q := "“" + s + "”"
	if v.Lang == LangFrench {
		q = "«\u00a0" + s + "\u00a0»"
	}
	if v.Markup == MarkupTelegram {
		return "<i>" + q + "</i>"
	}
	return q
}

var (
	slackURLEscaper    = strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C")
	markdownURLEscaper = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20")
	slackEscaper       = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	telegramEscaper    = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	// Markdown: no emphasis, code or link syntax from outside text, and no
	// Mattermost mass mention (a zero-width space after the @).
	markdownEscaper = strings.NewReplacer(
		`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
		"@channel", "@\u200bchannel", "@all", "@\u200ball", "@here", "@\u200bhere",
		"@Channel", "@\u200bChannel", "@All", "@\u200bAll", "@Here", "@\u200bHere",
		"@CHANNEL", "@\u200bCHANNEL", "@ALL", "@\u200bALL", "@HERE", "@\u200bHERE",
	)
)

// EscapeSlack escapes text for Slack mrkdwn (&, <, >).
func EscapeSlack(s string) string { return slackEscaper.Replace(s) }

// EscapeTelegram escapes text for Telegram's HTML parse mode.
func EscapeTelegram(s string) string { return telegramEscaper.Replace(s) }

// EscapeMarkdown escapes text for Markdown (Mattermost, Teams).
func EscapeMarkdown(s string) string { return markdownEscaper.Replace(s) }
