package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
	"gorm.io/gorm"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %s: name must start with a version number", name)
		}
		b, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("store: migrations %s and %s share version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// migrateLock is the advisory lock key that serialises migrations, so two
// Pulse processes starting at once do not both apply the same version.
const migrateLock = 7_301_188_001

// Migrate applies every migration not yet applied, each in its own
// transaction, and returns the versions it applied; then River's own
// migrations (github.com/riverqueue/river, the job queue), at the version
// go.mod pins, which it records apart in river_migration.
func Migrate(ctx context.Context, db *gorm.DB) ([]int, error) {
	migrations, err := Migrations()
	if err != nil {
		return nil, err
	}
	var applied []int
	err = db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		// A migration over a large table, or the wait for another
		// process's, may take longer than the pool's statement timeout.
		if err := conn.Exec("SET statement_timeout = 0").Error; err != nil {
			return fmt.Errorf("store: lift the statement timeout: %w", err)
		}
		defer conn.Exec("RESET statement_timeout")
		if err := conn.Exec("SELECT pg_advisory_lock(?)", migrateLock).Error; err != nil {
			return fmt.Errorf("store: lock migrations: %w", err)
		}
		defer conn.Exec("SELECT pg_advisory_unlock(?)", migrateLock)
		if err := conn.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`).Error; err != nil {
			return fmt.Errorf("store: create schema_migrations: %w", err)
		}
		var done []int
		if err := conn.Raw("SELECT version FROM schema_migrations").Scan(&done).Error; err != nil {
			return fmt.Errorf("store: read schema_migrations: %w", err)
		}
		have := map[int]bool{}
		for _, v := range done {
			have[v] = true
		}
		for _, m := range migrations {
			if have[m.Version] {
				continue
			}
			err := conn.Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec(m.SQL).Error; err != nil {
					return err
				}
				return tx.Exec("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", m.Version, m.Name).Error
			})
			if err != nil {
				return fmt.Errorf("store: migration %s: %w", m.Name, err)
			}
			applied = append(applied, m.Version)
		}
		// River's job tables come last, still under the lock, so that no
		// process starts its workers before they exist. River's migrator
		// applies each of its versions in a transaction of its own, as its
		// SQL needs (a new enum value is used by the next statement), and
		// keeps its own record of them in river_migration.
		sqlDB, err := db.DB()
		if err != nil {
			return fmt.Errorf("store: migrate river: %w", err)
		}
		migrator, err := rivermigrate.New(riverdatabasesql.New(sqlDB), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return fmt.Errorf("store: migrate river: %w", err)
		}
		if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("store: migrate river: %w", err)
		}
		return nil
	})
	return applied, err
}
