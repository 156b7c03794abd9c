// Package migrations holds the payment database's goose migrations, applied at start by
// pgdb.Migrate after the platform's own.
package migrations

import "embed"

// FS holds the *.sql migrations at its root.
//
//go:embed *.sql
var FS embed.FS
