package alertmanager

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/alerting/internal/channeltest"
)

// installHint is what to run when the Debian binary is missing.
const installHint = "apt-get install -y --no-install-recommends prometheus-alertmanager"

// webhookMessage is Alertmanager's webhook payload (version 4), as much as
// the test reads.
type webhookMessage struct {
	Version  string `json:"version"`
	Status   string `json:"status"`
	Receiver string `json:"receiver"`
	Alerts   []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"alerts"`
}

type received struct {
	path string
	msg  webhookMessage
}

// TestRealAlertmanager runs Debian's prometheus-alertmanager, routing by
// severity to a local webhook: vigie opens and resolves a critical crisis
// and opens a warning one; each lands on the receiver of its severity, the
// critical one twice (firing, then resolved).
func TestRealAlertmanager(t *testing.T) {
	bin, err := exec.LookPath("prometheus-alertmanager")
	if err != nil {
		if bin, err = exec.LookPath("alertmanager"); err != nil {
			t.Fatalf("Alertmanager is not installed; install it with: %s", installHint)
		}
	}

	got := make(chan received, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m webhookMessage
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("webhook body: %v\n%s", err, b)
		}
		got <- received{path: r.URL.Path, msg: m}
	}))
	defer hook.Close()

	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: default
  group_by: [thread]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: pager
      matchers: ['severity="critical"']
    - receiver: chat
      matchers: ['severity="warning"']
receivers:
  - name: default
    webhook_configs: [{url: "%[1]s/default", send_resolved: true}]
  - name: pager
    webhook_configs: [{url: "%[1]s/pager", send_resolved: true}]
  - name: chat
    webhook_configs: [{url: "%[1]s/chat", send_resolved: true}]
`, hook.URL)
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	logs, err := os.Create(filepath.Join(dir, "alertmanager.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	cmd := exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--cluster.listen-address=",
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	base := "http://" + addr
	waitReady(t, base+"/-/ready", filepath.Join(dir, "alertmanager.log"))

	clock := time.Now()
	n, err := New(Config{URL: base}, alerting.WithName("am"), alerting.WithClock(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	critical := channeltest.Sample()
	critical.Severity = 5
	critical.Since, critical.At = clock.Add(-10*time.Minute), clock
	warning := channeltest.Sample()
	warning.Key, warning.Watch, warning.WatchName, warning.Severity = "crisis/sncf/7", "sncf", "SNCF", 3
	warning.Lang = alerting.LangEnglish
	warning.Since, warning.At = clock.Add(-5*time.Minute), clock
	for _, note := range []*alerting.Notification{critical, warning} {
		if _, err := n.Notify(ctx, note); err != nil {
			t.Fatalf("post %s: %v", note.Key, err)
		}
	}

	byPath := map[string]webhookMessage{}
	for len(byPath) < 2 {
		r := next(t, ctx, got)
		byPath[r.path] = r.msg
	}
	pager, chat := byPath["/pager"], byPath["/chat"]
	if pager.Status != "firing" || len(pager.Alerts) != 1 || pager.Alerts[0].Labels["thread"] != critical.Key || pager.Alerts[0].Labels["alertname"] != "VigieCrisis" || pager.Alerts[0].Labels["watch"] != "airfrance" || pager.Alerts[0].Labels["kind"] != "crisis" {
		t.Errorf("pager got %+v", pager)
	}
	if !strings.Contains(pager.Alerts[0].Annotations["summary"], "Crise détectée : Air France") {
		t.Errorf("pager summary = %q", pager.Alerts[0].Annotations["summary"])
	}
	if chat.Status != "firing" || len(chat.Alerts) != 1 || chat.Alerts[0].Labels["thread"] != warning.Key || chat.Alerts[0].Labels["severity"] != "warning" {
		t.Errorf("chat got %+v", chat)
	}
	if _, ok := byPath["/default"]; ok {
		t.Errorf("the default receiver got an alert routed by severity")
	}

	resolved := critical.Clone()
	resolved.Status = alerting.StatusResolved
	resolved.At = time.Now()
	if _, err := n.Notify(ctx, resolved); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	for {
		r := next(t, ctx, got)
		if r.path != "/pager" {
			continue // a repeat for another group is not what we wait for
		}
		if r.msg.Status == "resolved" && len(r.msg.Alerts) == 1 && r.msg.Alerts[0].Status == "resolved" && r.msg.Alerts[0].Labels["thread"] == critical.Key {
			break
		}
	}
}

func next(t *testing.T, ctx context.Context, got <-chan received) received {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-ctx.Done():
		t.Fatal("Alertmanager did not call the webhook before the deadline")
		return received{}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitReady polls /-/ready; the deadline only bounds a broken start.
func waitReady(t *testing.T, url, logPath string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(logPath)
	t.Fatalf("Alertmanager not ready at %s; its log:\n%s", url, b)
}
