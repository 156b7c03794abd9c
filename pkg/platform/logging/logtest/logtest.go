// Package logtest is the log sink of tests: a buffer that a running server, a sidecar or any
// other goroutine may write to while the test reads it, and that decodes the JSON records
// logging.New (or slog.NewJSONHandler) writes.
//
//	logs := &logtest.Buffer{}
//	log := logging.New("order", slog.LevelDebug, logs)
//	...
//	assert.Len(t, logs.WithMessage(t, "request failed"), 1)
package logtest

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

// Buffer is an io.Writer safe for concurrent writes. Its zero value is ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Records decodes the JSON log records (one a line) written so far. A line that is not a JSON
// object fails the test.
func (b *Buffer) Records(t testing.TB) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for line := range strings.Lines(b.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("logtest: log line %q is not a JSON record: %v", line, err)
		}
		recs = append(recs, rec)
	}
	return recs
}

// WithMessage returns the records written so far whose message ("msg") is msg.
func (b *Buffer) WithMessage(t testing.TB, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, rec := range b.Records(t) {
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}
