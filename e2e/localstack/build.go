package localstack

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

var (
	buildMu sync.Mutex
	built   = map[string][]string{} // BinDir → services built into it by this process
)

// Build compiles the services' binaries into binDir with `go build` in the repository's
// workspace. It builds once per process and binDir: a later call for services already built
// returns at once (go's build cache makes the first call cheap when nothing changed).
func Build(ctx context.Context, repoRoot, binDir string, services []string, log *slog.Logger) error {
	buildMu.Lock()
	defer buildMu.Unlock()
	var missing []string
	for _, svc := range services {
		if !slices.Contains(built[binDir], svc) {
			missing = append(missing, svc)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return fmt.Errorf("localstack: bin dir: %w", err)
	}
	args := []string{"build", "-o", binDir + string(filepath.Separator)}
	for _, svc := range missing {
		args = append(args, "./services/"+svc)
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repoRoot
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("localstack: go %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	built[binDir] = append(built[binDir], missing...)
	if log != nil {
		log.Info("built", "services", missing, "dir", binDir, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}
