package pgdbtest_test

import (
	"cmp"
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/pgdb/pgdbtest"
)

func TestNewDatabase(t *testing.T) {
	ctx := context.Background()
	var first, second string
	t.Run("private databases", func(t *testing.T) {
		first, second = pgdbtest.NewDatabase(t), pgdbtest.NewDatabase(t)
		require.NotEqual(t, first, second)
		for _, u := range []string{first, second} {
			// Not closed: the cleanup must drop a database that is still in use.
			conn, err := pgx.Connect(ctx, u)
			require.NoError(t, err)
			var name string
			require.NoError(t, conn.QueryRow(ctx, "SELECT current_database()").Scan(&name))
			assert.Equal(t, dbName(t, u), name)
			var tables int
			require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables))
			assert.Zero(t, tables, "a new database is empty")
		}
	})

	if first == "" {
		t.Skip("no database server")
	}
	server, err := pgx.Connect(ctx, cmp.Or(os.Getenv("TEST_DATABASE_URL"), pgdbtest.DefaultURL))
	require.NoError(t, err)
	defer server.Close(ctx)
	for _, u := range []string{first, second} {
		var exists bool
		require.NoError(t, server.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", dbName(t, u)).Scan(&exists))
		assert.False(t, exists, "database of %s dropped after the test", u)
	}
}

func dbName(t *testing.T, u string) string {
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	return strings.TrimPrefix(parsed.Path, "/")
}
