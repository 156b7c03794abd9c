// Package pooltest gives a test a pool on a private database (pgdbtest.NewDatabase) opened and
// migrated as a service's is at start, and the count queries tests assert with.
//
// It is apart from pgdbtest, which depends on pgx only, so that modules that only need a
// database URL (e2e) do not take on pgdb's migration dependencies.
package pooltest

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pgdbtest"
)

// New returns a pool on a new private database migrated with pgdb.Migrate: the platform's
// tables, then migrations (a service's goose files; nil: none). The pool is closed when the
// test ends.
func New(t testing.TB, migrations fs.FS) *pgxpool.Pool {
	t.Helper()
	pool := Open(t, pgdbtest.NewDatabase(t))
	if err := pgdb.Migrate(context.Background(), pool, migrations, nil); err != nil {
		t.Fatalf("pooltest: %v", err)
	}
	return pool
}

// Open opens a pool with pgdb.Open on the database at dbURL, waiting up to 30 s for it to
// answer, and closes the pool when the test ends.
func Open(t testing.TB, dbURL string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgdb.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("pooltest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Count returns the single integer a query such as SELECT count(*) answers on db (a pool, a
// connection or a transaction).
func Count(t testing.TB, db pgdb.DBTX, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("pooltest: %s: %v", sql, err)
	}
	return n
}

// Unreachable returns a pool on an address where no database listens: it never connects, so
// a service built over it can be inspected (its routes) or seen failing (its database down)
// without PostgreSQL. The pool is closed when the test ends.
func Unreachable(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatalf("pooltest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}
