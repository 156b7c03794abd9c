// Package pgdb opens the service's PostgreSQL pool, applies embedded migrations under an
// advisory lock and runs functions in transactions.
package pgdb

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Open creates a pool for url and waits (up to ctx) until the database answers.
// The pool's connections carry statement_timeout so that no query hangs forever.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgdb: parse url: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = "15000"
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgdb: %w", err)
	}
	backoff := 200 * time.Millisecond
	for {
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = pool.Ping(pingCtx)
		cancel()
		if err == nil {
			return pool, nil
		}
		select {
		case <-ctx.Done():
			pool.Close()
			return nil, fmt.Errorf("pgdb: database not reachable: %w", err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 3*time.Second)
	}
}

//go:embed migrations/*.sql
var platformMigrations embed.FS

// PlatformMigrations are the tables every service shares the shape of: outbox,
// processed_events (inbox) and dead_letters. Migrate applies them before the service's own.
func PlatformMigrations() fs.FS {
	sub, _ := fs.Sub(platformMigrations, "migrations")
	return sub
}

// Migrate applies the platform migrations and then the service's migrations found in fsys
// (a directory of goose *.sql files), each set tracked in its own version table. A Postgres
// advisory lock serialises replicas that start at the same time.
func Migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, log *slog.Logger) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	sets := []struct {
		table string
		fsys  fs.FS
	}{
		{"goose_platform_version", PlatformMigrations()},
		{"goose_db_version", fsys},
	}
	for _, set := range sets {
		if set.fsys == nil {
			continue
		}
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("pgdb: locker: %w", err)
		}
		p, err := goose.NewProvider(goose.DialectPostgres, db, set.fsys,
			goose.WithTableName(set.table),
			goose.WithSessionLocker(locker),
			goose.WithDisableGlobalRegistry(true),
		)
		if err != nil {
			return fmt.Errorf("pgdb: migrations (%s): %w", set.table, err)
		}
		results, err := p.Up(ctx)
		if err != nil {
			return fmt.Errorf("pgdb: migrate (%s): %w", set.table, err)
		}
		for _, r := range results {
			if log != nil {
				log.Info("migration applied", "table", set.table, "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
			}
		}
	}
	return nil
}

// DBTX is what repositories need: satisfied by *pgxpool.Pool, *pgxpool.Conn and pgx.Tx.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Beginner starts transactions (a *pgxpool.Pool does).
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// InTx runs fn in a transaction: committed when fn returns nil, rolled back otherwise
// (also when fn panics, which is re-raised).
func InTx(ctx context.Context, db Beginner, fn func(tx pgx.Tx) error) (err error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgdb: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgdb: commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-constraint violation (optionally of the named constraint).
func IsUniqueViolation(err error, constraint ...string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return false
	}
	if len(constraint) == 0 {
		return true
	}
	for _, c := range constraint {
		if pgErr.ConstraintName == c {
			return true
		}
	}
	return false
}

// Ping is a readiness check for the pool.
func Ping(pool *pgxpool.Pool) func(ctx context.Context) error {
	return pool.Ping
}
