package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vigie-project/vigie/alerting/webhook"
)

// InboxPath is where the demo's own webhook receiver listens.
const InboxPath = "/demo/inbox"

// demoInbox is a webhook receiver inside vigie, for the demo: it checks
// each notification's signature with the secrets of the webhook receivers
// pointed at it, and prints what an on-call person would get, with the
// acknowledgement link.
func (a *App) demoInbox(out io.Writer) http.Handler {
	var secrets [][]byte
	if a.Cfg.Alerting != nil {
		for _, r := range a.Cfg.Alerting.Receivers {
			if r.Webhook != nil && strings.HasSuffix(r.Webhook.URL.Reveal(), InboxPath) {
				secrets = append(secrets, []byte(r.Webhook.Secret.Reveal()))
			}
		}
	}
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(r.Header, body, time.Now(), 0, secrets...); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		mu.Lock()
		fmt.Fprintf(out, "\n>>> PAGE [%s] %s\n    %s\n", p.Notification.Status, p.Title, p.Summary)
		if p.Notification.AckURL != "" && p.Notification.Status != "resolved" && p.Notification.Status != "acknowledged" {
			fmt.Fprintf(out, "    ack: curl -X POST -d 'by=you' '%s'\n", p.Notification.AckURL)
		}
		fmt.Fprintln(out)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
}
