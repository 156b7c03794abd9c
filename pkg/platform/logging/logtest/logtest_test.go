package logtest_test

import (
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/logging/logtest"
)

func TestBuffer(t *testing.T) {
	logs := &logtest.Buffer{}
	log := logging.New("test", slog.LevelInfo, logs)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { log.Info("written", "n", 1) })
	}
	wg.Wait()
	log.Warn("other")

	require.Len(t, logs.Records(t), 9)
	written := logs.WithMessage(t, "written")
	assert.Len(t, written, 8)
	assert.Equal(t, "test", written[0]["service"])
	assert.Len(t, logs.WithMessage(t, "other"), 1)
	assert.Empty(t, logs.WithMessage(t, "absent"))
	assert.Contains(t, logs.String(), `"msg":"other"`)
}
