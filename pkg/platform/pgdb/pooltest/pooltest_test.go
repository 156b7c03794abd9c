package pooltest_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
)

func TestNew(t *testing.T) {
	migrations := fstest.MapFS{"00001_things.sql": {Data: []byte("-- +goose Up\nCREATE TABLE things (id int);\n-- +goose Down\nDROP TABLE things;\n")}}
	pool := pooltest.New(t, migrations)
	_, err := pool.Exec(context.Background(), `INSERT INTO things (id) VALUES (1), (2)`)
	require.NoError(t, err)
	assert.Equal(t, 2, pooltest.Count(t, pool, `SELECT count(*) FROM things`))
	assert.Equal(t, 1, pooltest.Count(t, pool, `SELECT count(*) FROM things WHERE id = $1`, 2))
	assert.Zero(t, pooltest.Count(t, pool, `SELECT count(*) FROM outbox`), "the platform's tables are there too")

	platformOnly := pooltest.New(t, nil)
	assert.Zero(t, pooltest.Count(t, platformOnly, `SELECT count(*) FROM dead_letters`))
	assert.Zero(t, pooltest.Count(t, platformOnly, `SELECT count(*) FROM pg_tables WHERE tablename = 'things'`))
}

func TestUnreachable(t *testing.T) {
	pool := pooltest.Unreachable(t)
	assert.Error(t, pool.Ping(context.Background()))
}
