// Package pgdbtest gives each test a private PostgreSQL database, so that tests of packages
// running in parallel never see each other's rows.
package pgdbtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server used when TEST_DATABASE_URL is unset: the local PostgreSQL with
// trust authentication.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// NewDatabase creates an empty database with a random name on the server of TEST_DATABASE_URL
// (a postgres:// URL of a role allowed to create databases; DefaultURL when unset), drops it
// when the test ends and returns its URL. When the server cannot be reached the test is
// skipped — or fails when CI=true, where a missing database must not pass unnoticed.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server, err := url.Parse(cmp.Or(os.Getenv("TEST_DATABASE_URL"), DefaultURL))
	if err != nil {
		t.Fatalf("pgdbtest: TEST_DATABASE_URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server.String())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgdbtest: PostgreSQL at %s unreachable: %v", server.Redacted(), err)
		}
		t.Skipf("pgdbtest: PostgreSQL at %s unreachable: %v", server.Redacted(), err)
	}
	defer conn.Close(ctx)

	name := "test_" + strings.ToLower(rand.Text())
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("pgdbtest: create database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(t, server.String(), ident) })

	db := *server
	db.Path = "/" + name
	return db.String()
}

// dropDatabase drops the database even if connections to it remain open.
func dropDatabase(t testing.TB, serverURL, ident string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Errorf("pgdbtest: drop database %s: %v", ident, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE %s WITH (FORCE)", ident)); err != nil {
		t.Errorf("pgdbtest: drop database %s: %v", ident, err)
	}
}
