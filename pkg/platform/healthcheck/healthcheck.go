// Package healthcheck lets a service binary probe an HTTP health endpoint and exit with the result.
//
// Distroless images have no shell or curl, so a compose healthcheck runs the service binary itself:
//
//	healthcheck:
//	  test: ["CMD", "/app", "-healthcheck", "http://127.0.0.1:8081/healthz"]
package healthcheck

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Timeout bounds one probe, connection and response included.
const Timeout = 3 * time.Second

const flagName = "healthcheck"

// FromArgs probes the URL given as "-healthcheck URL" or "-healthcheck=URL" (with one or two dashes)
// and returns the process exit code: 0 for a 2xx response, 1 otherwise. ok is false, and nothing is
// probed, when args have no such flag. The reason for a failure is printed on standard error, which
// Docker keeps in the container's health log.
func FromArgs(args []string) (code int, ok bool) {
	url, ok := flagValue(args)
	if !ok {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := Probe(ctx, url); err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1, true
	}
	return 0, true
}

// Probe sends a GET request to url and reports an error unless the response status is 2xx.
func Probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// flagValue finds the healthcheck flag in args and returns its value ("" when it has none).
func flagValue(args []string) (string, bool) {
	for i, arg := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !strings.HasPrefix(arg, "-") || name != flagName {
			continue
		}
		if !hasValue && i+1 < len(args) {
			value = args[i+1]
		}
		return value, true
	}
	return "", false
}
