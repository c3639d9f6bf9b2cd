package store

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one embedded SQL file, "NNNN_name.sql". Its statements are
// separated by lines ending in ';' and must be idempotent (IF NOT EXISTS),
// so that a migration interrupted half-way can simply run again: ClickHouse
// has no transactional DDL, and a "dirty" flag would only get in the way.
type Migration struct {
	Version int
	Name    string
	SQL     string // the template, before rendering
}

// MigrationStatus is a migration and when it was applied (zero: pending).
type MigrationStatus struct {
	Migration
	AppliedAt time.Time
}

// Migrations returns the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration file %s: name must be NNNN_name.sql", name)
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("store: two migrations numbered %d", out[i].Version)
		}
	}
	return out, nil
}

// RenderOptions make one migration text serve a single server and a cluster.
type RenderOptions struct {
	Database string
	Cluster  string // empty: single server
}

// Statements renders m's template and splits it into statements.
//
// Template helpers: {{onCluster}} is " ON CLUSTER <name>" or nothing;
// {{engine "table" "ReplacingMergeTree" "version"}} is the plain engine on a
// single server and its Replicated variant, with a ZooKeeper path per table
// and shard, on a cluster.
func (m Migration) Statements(o RenderOptions) ([]string, error) {
	funcs := template.FuncMap{
		"onCluster": func() string {
			if o.Cluster == "" {
				return ""
			}
			return " ON CLUSTER " + o.Cluster
		},
		"engine": func(table, engine string, args ...string) string {
			if o.Cluster == "" {
				return engine + "(" + strings.Join(args, ", ") + ")"
			}
			zk := []string{fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s'", o.Database, table), "'{replica}'"}
			return "Replicated" + engine + "(" + strings.Join(append(zk, args...), ", ") + ")"
		},
	}
	t, err := template.New(m.Name).Funcs(funcs).Parse(m.SQL)
	if err != nil {
		return nil, fmt.Errorf("store: migration %04d_%s: %w", m.Version, m.Name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, o); err != nil {
		return nil, fmt.Errorf("store: migration %04d_%s: %w", m.Version, m.Name, err)
	}
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(buf.String(), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts, nil
}

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations{{onCluster}} (
	version UInt32,
	name String,
	applied_at DateTime('UTC')
) ENGINE = {{engine "schema_migrations" "ReplacingMergeTree" "applied_at"}} ORDER BY version`

// Migrate applies the pending migrations in order and returns how many it
// applied. progress, if not nil, is told about each one.
func Migrate(ctx context.Context, conn driver.Conn, o RenderOptions, progress func(m Migration)) (int, error) {
	st, err := Status(ctx, conn, o)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range st {
		if !s.AppliedAt.IsZero() {
			continue
		}
		if progress != nil {
			progress(s.Migration)
		}
		stmts, err := s.Statements(o)
		if err != nil {
			return n, err
		}
		for i, q := range stmts {
			if err := conn.Exec(ctx, q); err != nil {
				return n, fmt.Errorf("store: migration %04d_%s, statement %d: %w", s.Version, s.Name, i+1, err)
			}
		}
		b, err := conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, applied_at)")
		if err != nil {
			return n, fmt.Errorf("store: record migration %d: %w", s.Version, err)
		}
		if err := b.Append(uint32(s.Version), s.Name, time.Now().UTC()); err != nil {
			_ = b.Abort()
			return n, fmt.Errorf("store: record migration %d: %w", s.Version, err)
		}
		if err := b.Send(); err != nil {
			return n, fmt.Errorf("store: record migration %d: %w", s.Version, err)
		}
		n++
	}
	return n, nil
}

// Status lists every embedded migration with the time it was applied.
func Status(ctx context.Context, conn driver.Conn, o RenderOptions) ([]MigrationStatus, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	boot, err := Migration{Name: "schema_migrations", SQL: migrationsTable}.Statements(o)
	if err != nil {
		return nil, err
	}
	if err := conn.Exec(ctx, boot[0]); err != nil {
		return nil, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT version, max(applied_at) FROM schema_migrations GROUP BY version")
	if err != nil {
		return nil, fmt.Errorf("store: read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]time.Time{}
	for rows.Next() {
		var v uint32
		var at time.Time
		if err := rows.Scan(&v, &at); err != nil {
			return nil, err
		}
		applied[int(v)] = at
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, len(ms))
	for i, m := range ms {
		out[i] = MigrationStatus{Migration: m, AppliedAt: applied[m.Version]}
	}
	return out, nil
}
