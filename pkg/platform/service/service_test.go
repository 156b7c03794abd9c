package service

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestExecute(t *testing.T) {
	previous := slog.Default()
	t.Cleanup(func() { slog.SetDefault(previous) })

	tests := []struct {
		name       string
		level      string
		runErr     error
		wantCode   int
		wantLogged []string
		wantAbsent []string
	}{
		{name: "clean exit", wantCode: 0, wantLogged: []string{`"msg":"running"`, `"service":"order"`}, wantAbsent: []string{`"msg":"debug detail"`}},
		{name: "debug level", level: "debug", wantCode: 0, wantLogged: []string{`"msg":"debug detail"`}},
		{name: "invalid level falls back to info", level: "loud", wantCode: 0, wantLogged: []string{`"msg":"ignoring LOG_LEVEL"`, `"msg":"running"`}, wantAbsent: []string{`"msg":"debug detail"`}},
		{name: "run fails", runErr: errors.New("database unreachable"), wantCode: 1, wantLogged: []string{`"msg":"service failed"`, `"error":"database unreachable"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var gotCtx context.Context

			code := execute(ctx, "order", tt.level, &buf, func(ctx context.Context, log *slog.Logger) error {
				gotCtx = ctx
				log.Debug("debug detail")
				log.Info("running")
				return tt.runErr
			})

			assert.Equal(t, tt.wantCode, code)
			assert.Equal(t, ctx, gotCtx)
			for _, s := range tt.wantLogged {
				assert.Contains(t, buf.String(), s)
			}
			for _, s := range tt.wantAbsent {
				assert.NotContains(t, buf.String(), s)
			}
		})
	}
}
