package stage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/bus"
)

// maxBody bounds what an ack request may send.
const maxBody = 64 << 10

// Handler serves the alert API of this process's stage:
//
//	GET  /api/v1/alerts            open threads, as JSON
//	GET  /api/v1/alerts/{key}/ack  a small bilingual page with a confirm button
//	POST /api/v1/alerts/{key}/ack  form or JSON {"by": "name"}: 200, 404, 409
//
// It must sit behind the console's authentication: anyone who can reach
// it can acknowledge.
func (s *Stage) Handler() http.Handler {
	return newAPI(localBackend{s}, s.log)
}

// RemoteHandler serves the same API in a process that does not run the
// stage: it forwards each request over NATS (SubjectCmdAck, …) to the
// process that does, and answers 503 when none does.
func RemoteHandler(b *bus.Bus, log *slog.Logger) http.Handler {
	if log == nil {
		log = discardLogger()
	}
	return newAPI(remoteBackend{nc: b.NC, timeout: saveTimeout + 5*time.Second}, log.With("component", "alert_api"))
}

type api struct {
	be  backend
	log *slog.Logger
}

func newAPI(be backend, log *slog.Logger) http.Handler {
	a := &api{be: be, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/alerts", a.list)
	mux.HandleFunc("GET /api/v1/alerts/{key}/ack", a.page)
	mux.HandleFunc("POST /api/v1/alerts/{key}/ack", a.ack)
	return mux
}

func (a *api) list(w http.ResponseWriter, r *http.Request) {
	as, err := a.be.list(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": as})
}

func (a *api) ack(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	by, err := ackBy(r)
	if err != nil {
		a.fail(w, r, fmt.Errorf("%w: %w", alerting.ErrInvalidNotification, err))
		return
	}
	res, err := a.be.ack(r.Context(), key, by, "http")
	if err != nil && !errors.Is(err, ErrAlreadyAcknowledged) {
		a.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if err != nil {
		status = http.StatusConflict
	}
	if wantsHTML(r) {
		al, gerr := a.be.get(r.Context(), key)
		if gerr != nil {
			al = Alert{Key: key}
		}
		v := pageView{Alert: al, Done: err == nil, Already: err != nil, AckedBy: res.AckedBy}
		writePage(w, status, v, a.log)
		return
	}
	if err != nil {
		writeJSON(w, status, map[string]any{"error": err.Error(), "code": codeAcknowledged, "ack": res})
		return
	}
	writeJSON(w, status, res)
}

func (a *api) page(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	al, err := a.be.get(r.Context(), key)
	if err != nil {
		if errors.Is(err, alerting.ErrUnknownThread) {
			writePage(w, http.StatusNotFound, pageView{Alert: Alert{Key: key}, Unknown: true}, a.log)
			return
		}
		a.fail(w, r, err)
		return
	}
	v := pageView{Alert: al, Already: al.Status == alerting.StatusAcknowledged, AckedBy: al.AckedBy,
		Resolved: al.Status == alerting.StatusResolved}
	writePage(w, http.StatusOK, v, a.log)
}

// fail answers an error with its status: 400 bad request, 404 unknown
// alert, 409 already acknowledged or resolved, 503 no stage running.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := errorCode(err)
	status := http.StatusInternalServerError
	switch code {
	case codeInvalid:
		status = http.StatusBadRequest
	case codeUnknown:
		status = http.StatusNotFound
	case codeAcknowledged, codeResolved:
		status = http.StatusConflict
	case codeNotRunning:
		status = http.StatusServiceUnavailable
	default:
		a.log.Error("alert_api_failed", "path", r.URL.Path, "error", err)
	}
	if wantsHTML(r) {
		writePage(w, status, pageView{Alert: Alert{Key: r.PathValue("key")}, Unknown: code == codeUnknown,
			Resolved: code == codeResolved, Failed: err.Error()}, a.log)
		return
	}
	writeJSON(w, status, map[string]string{"error": err.Error(), "code": code})
}

// ackBy reads who acknowledges from a JSON or form body.
func ackBy(r *http.Request) (string, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var body struct {
			By string `json:"by"`
		}
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&body); err != nil {
			return "", fmt.Errorf("body: %w", err)
		}
		return body.By, nil
	}
	if err := r.ParseForm(); err != nil {
		return "", fmt.Errorf("form: %w", err)
	}
	return r.PostForm.Get("by"), nil
}

// wantsHTML: a browser (the confirm page's form) gets a page back, a
// program JSON.
func wantsHTML(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/html") && !strings.HasPrefix(accept, "application/json")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

type pageView struct {
	Alert
	Done     bool // acknowledged by this request
	Already  bool // acknowledged before
	AckedBy  string
	Resolved bool
	Unknown  bool
	Failed   string
}

var pageTemplate = template.Must(template.New("ack").Parse(`<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>vigie — Acquitter / Acknowledge</title>
<style>
body{font-family:system-ui,sans-serif;max-width:32rem;margin:1.5rem auto;padding:0 1rem;line-height:1.4}
.drill{background:#fde68a;padding:.5rem;font-weight:bold;text-align:center}
.box{border:1px solid #ccc;border-radius:.5rem;padding:1rem;margin:1rem 0}
input,button{font-size:1.1rem;padding:.6rem;width:100%;box-sizing:border-box;margin:.3rem 0}
button{background:#b91c1c;color:#fff;border:0;border-radius:.4rem}
.en{color:#555}
</style></head><body>
{{if .Drill}}<p class="drill">EXERCICE — ceci n'est pas une vraie alerte<br>DRILL — this is not a real alert</p>{{end}}
<h1>vigie</h1>
<div class="box">
<p><strong>{{if .WatchName}}{{.WatchName}}{{else}}{{.Watch}}{{end}}</strong>{{if .Severity}} — sévérité / severity {{.Severity}}/5{{end}}</p>
{{with .SummaryFR}}<p>{{.}}</p>{{end}}{{with .Summary}}<p class="en">{{.}}</p>{{end}}
<p><small>{{.Key}}</small></p>
{{with .ConsoleURL}}<p><a href="{{.}}">Ouvrir la console / Open the console</a></p>{{end}}
</div>
{{if .Unknown}}
<p>Alerte inconnue (déjà terminée et oubliée, ou lien erroné).</p>
<p class="en">Unknown alert (over and forgotten, or a wrong link).</p>
{{else if .Resolved}}
<p>Cette alerte est terminée : rien à acquitter.</p>
<p class="en">This alert is over: nothing to acknowledge.</p>
{{else if .Done}}
<p>✅ Acquittée par {{.AckedBy}}. L'escalade est arrêtée.</p>
<p class="en">✅ Acknowledged by {{.AckedBy}}. Escalation stopped.</p>
{{else if .Already}}
<p>Déjà acquittée par {{.AckedBy}}.</p>
<p class="en">Already acknowledged by {{.AckedBy}}.</p>
{{else if .Failed}}
<p>Échec / Failed: {{.Failed}}</p>
{{else}}
<form method="post">
<label for="by">Votre nom / Your name</label>
<input id="by" name="by" required maxlength="200" autocomplete="name">
<button type="submit">Acquitter / Acknowledge</button>
</form>
{{end}}
</body></html>
`))

func writePage(w http.ResponseWriter, status int, v pageView, log *slog.Logger) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		log.Error("alert_page_failed", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Ack acknowledges the alert key as by through the HTTP API at publicURL
// (what `vigie alert ack ID` calls). Errors wrap alerting.ErrUnknownThread
// (404), ErrAlreadyAcknowledged or alerting.ErrThreadResolved (409),
// ErrNotRunning (503).
func Ack(ctx context.Context, publicURL, key, by string, client *http.Client) error {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	body, err := json.Marshal(map[string]string{"by": by})
	if err != nil {
		return fmt.Errorf("stage: ack: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, AckURL(publicURL, key), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("stage: ack %s: %w", key, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("stage: ack %s: %w", key, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	if json.Unmarshal(data, &e) != nil || e.Code == "" {
		return fmt.Errorf("stage: ack %s: HTTP %d: %s", key, resp.StatusCode, alerting.Truncate(strings.TrimSpace(string(data)), 200))
	}
	return fmt.Errorf("stage: ack %s: %w", key, errorOfCode(e.Code, e.Error))
}
