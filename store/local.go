package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// InstallHint is what to do when no ClickHouse server binary is found.
const InstallHint = "install one with `sudo apt-get install -y clickhouse-server clickhouse-client` (Debian, Ubuntu), " +
	"or put the official single binary on PATH as `clickhouse`, or set clickhouse.addr to an existing server"

// ErrNoServerBinary means neither clickhouse-server nor clickhouse is on PATH.
var ErrNoServerBinary = errors.New("store: no ClickHouse server binary (clickhouse-server or clickhouse) on PATH; " + InstallHint)

// LocalServer is a ClickHouse server that vigie runs as a child process,
// with its configuration and data under one directory, listening on
// loopback only.
type LocalServer struct {
	Dir      string
	TCPPort  int
	HTTPPort int
	bin      string
	args     []string
	cmd      *exec.Cmd
	done     chan struct{}
	log      *slog.Logger
}

// FindServerBinary returns the command that runs a ClickHouse server:
// Debian's clickhouse-server, or the official single binary's `clickhouse
// server`. override, when set, is used as is.
func FindServerBinary(override string) (bin string, args []string, err error) {
	// Debian installs it in /usr/sbin, which is not on every user's PATH.
	return findServerBinary(override, []string{"/usr/sbin/clickhouse-server"})
}

func findServerBinary(override string, fallbacks []string) (bin string, args []string, err error) {
	if override != "" {
		p, err := exec.LookPath(override)
		if err != nil {
			return "", nil, fmt.Errorf("store: clickhouse.binary %q: %w", override, err)
		}
		if filepath.Base(p) == "clickhouse" {
			return p, []string{"server"}, nil
		}
		return p, nil, nil
	}
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, nil, nil
	}
	if p, err := exec.LookPath("clickhouse"); err == nil {
		return p, []string{"server"}, nil
	}
	for _, f := range fallbacks {
		if _, err := os.Stat(f); err == nil {
			return f, nil, nil
		}
	}
	return "", nil, ErrNoServerBinary
}

// StartLocal starts a ClickHouse server with its files under dir, on free
// loopback ports, and waits until it answers /ping. binary overrides the
// PATH lookup. A server left running by an earlier process on the same
// directory is stopped first.
func StartLocal(ctx context.Context, dir, binary string, log *slog.Logger) (*LocalServer, error) {
	bin, args, err := FindServerBinary(binary)
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &LocalServer{Dir: dir, bin: bin, args: args, log: log.With("component", "clickhouse")}
	s.stopStale()
	tcp, err := freePort()
	if err != nil {
		return nil, err
	}
	http, err := freePort()
	if err != nil {
		return nil, err
	}
	s.TCPPort, s.HTTPPort = tcp, http
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// PID is the server's process id (0 when stopped).
func (s *LocalServer) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Addr is the native-protocol address of the server.
func (s *LocalServer) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.TCPPort)) }

func (s *LocalServer) start(ctx context.Context) error {
	for _, d := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return fmt.Errorf("store: local server: %w", err)
		}
	}
	if err := writeTemplate(filepath.Join(s.Dir, "config.xml"), configXML, s); err != nil {
		return err
	}
	if err := writeTemplate(filepath.Join(s.Dir, "users.xml"), usersXML, s); err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(s.Dir, "log", "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("store: local server: %w", err)
	}
	args := append(append([]string{}, s.args...), "--config-file="+filepath.Join(s.Dir, "config.xml"))
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// Stop with us even if we are killed, and keep terminal signals away.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("store: start %s: %w", s.bin, err)
	}
	_ = os.WriteFile(filepath.Join(s.Dir, "server.pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
	s.cmd = cmd
	s.done = make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(s.done) }()
	s.log.Info("clickhouse_starting", "binary", s.bin, "dir", s.Dir, "tcp_port", s.TCPPort)
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		s.Stop()
		return err
	}
	return nil
}

func (s *LocalServer) waitReady(ctx context.Context, limit time.Duration) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/ping", s.HTTPPort)
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("store: ClickHouse server exited at start; see %s", filepath.Join(s.Dir, "log", "server.log"))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("store: ClickHouse server not ready after %s; see %s", limit, filepath.Join(s.Dir, "log", "server.log"))
		}
	}
}

// Stop terminates the server (SIGTERM, then SIGKILL after 20 s) and waits.
func (s *LocalServer) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
	_ = os.Remove(filepath.Join(s.Dir, "server.pid"))
	s.log.Info("clickhouse_stopped")
}

// Restart starts a stopped server again on the same directory and ports.
func (s *LocalServer) Restart(ctx context.Context) error {
	if s.cmd != nil {
		return errors.New("store: local server is running")
	}
	return s.start(ctx)
}

// stopStale ends a server that an earlier, killed process left on this dir.
func (s *LocalServer) stopStale() {
	b, err := os.ReadFile(filepath.Join(s.Dir, "server.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), filepath.Join(s.Dir, "config.xml")) {
		return
	}
	s.log.Warn("clickhouse_stale_server_stopped", "pid", pid)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 200; i++ {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("store: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writeTemplate(path, text string, data any) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("store: local server: %w", err)
	}
	defer f.Close()
	return template.Must(template.New("").Parse(text)).Execute(f, data)
}

// The minimal configuration ClickHouse 18.16 accepts (logger and
// mark_cache_size are required) and current releases still read.
const configXML = `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>{{.TCPPort}}</tcp_port>
  <http_port>{{.HTTPPort}}</http_port>
  <path>{{.Dir}}/data/</path>
  <tmp_path>{{.Dir}}/tmp/</tmp_path>
  <user_files_path>{{.Dir}}/user_files/</user_files_path>
  <format_schema_path>{{.Dir}}/format_schemas/</format_schema_path>
  <users_config>{{.Dir}}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <timezone>UTC</timezone>
</yandex>
`

const usersXML = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
