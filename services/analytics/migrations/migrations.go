// Package migrations embeds the analytics service's goose migrations.
package migrations

import "embed"

// FS holds the *.sql migrations at its root, as pgdb.Migrate expects.
//
//go:embed *.sql
var FS embed.FS
