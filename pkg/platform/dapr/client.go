// Package dapr connects the app to its Dapr sidecar: a lazily created, retried go-sdk client for
// publishing, the sidecar's outbound health, and an HTTP client for service invocation.
package dapr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	daprc "github.com/dapr/go-sdk/client"
)

// Config locates the sidecar.
type Config struct {
	Host     string // usually 127.0.0.1: the sidecar shares the app's network namespace
	HTTPPort int
	GRPCPort int
	APIToken string // DAPR_API_TOKEN; sent as dapr-api-token on every call
}

// Client is safe for concurrent use. The gRPC connection is made on first use, not at
// construction: the sidecar waits for the app's port before it reports healthy, so an app that
// insisted on a sidecar at start-up would deadlock with it.
type Client struct {
	cfg  Config
	log  *slog.Logger
	http *http.Client

	mu     sync.Mutex
	client daprc.Client
	ready  bool
}

// New returns a client for the sidecar described by cfg.
func New(cfg Config, log *slog.Logger) *Client {
	if log == nil {
		log = slog.Default()
	}
	return &Client{cfg: cfg, log: log, http: &http.Client{
		// A backstop only: callers bound each call with their context.
		Timeout: 30 * time.Second,
		// A callee's redirect is for the caller to judge; its Location must never steer the
		// request elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// HTTPBase is the sidecar's HTTP API root, e.g. http://127.0.0.1:3500.
func (c *Client) HTTPBase() string {
	return "http://" + net.JoinHostPort(c.cfg.Host, strconv.Itoa(c.cfg.HTTPPort))
}

func (c *Client) sdk(ctx context.Context) (daprc.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil {
		return c.client, nil
	}
	dialCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addr := net.JoinHostPort(c.cfg.Host, strconv.Itoa(c.cfg.GRPCPort))
	cl, err := daprc.NewClientWithAddressContext(dialCtx, addr)
	if err != nil {
		return nil, fmt.Errorf("dapr: connect %s: %w", addr, err)
	}
	if c.cfg.APIToken != "" {
		cl.WithAuthToken(c.cfg.APIToken)
	}
	c.client = cl
	return cl, nil
}

// Publish sends data, a structured CloudEvent (application/cloudevents+json), to topic. The
// sidecar keeps the event's own id, type, source, subject and time. metadata goes to the
// component (e.g. partitionKey). The first publish waits for the sidecar's outbound health.
func (c *Client) Publish(ctx context.Context, pubsub, topic string, data []byte, metadata map[string]string) error {
	if err := c.waitReady(ctx); err != nil {
		return err
	}
	cl, err := c.sdk(ctx)
	if err != nil {
		return err
	}
	return cl.PublishEvent(ctx, pubsub, topic, data,
		daprc.PublishEventWithContentType("application/cloudevents+json"),
		daprc.PublishEventWithMetadata(metadata))
}

func (c *Client) waitReady(ctx context.Context) error {
	c.mu.Lock()
	ready := c.ready
	c.mu.Unlock()
	if ready {
		return nil
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.WaitOutbound(waitCtx); err != nil {
		return err
	}
	c.mu.Lock()
	c.ready = true
	c.mu.Unlock()
	return nil
}

// Outbound checks the sidecar's outbound health once: its components are loaded and it can
// publish and invoke. Use it as a readiness check.
func (c *Client) Outbound(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.HTTPBase()+"/v1.0/healthz/outbound", nil)
	if err != nil {
		return err
	}
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("dapr sidecar: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("dapr sidecar: outbound health %s", resp.Status)
	}
	return nil
}

// WaitOutbound polls Outbound until it succeeds or ctx ends.
func (c *Client) WaitOutbound(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		err := c.Outbound(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("dapr: sidecar not ready: %w", ctx.Err()), err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

func (c *Client) authorize(req *http.Request) {
	if c.cfg.APIToken != "" {
		req.Header.Set("dapr-api-token", c.cfg.APIToken)
	}
}

// InvokeRequest builds a service-invocation request through the sidecar's HTTP API
// (/v1.0/invoke/<app>/method/<path>), which keeps the callee's status codes and headers.
func (c *Client) InvokeRequest(ctx context.Context, method, appID, path string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	url := c.HTTPBase() + "/v1.0/invoke/" + appID + "/method/" + strings.TrimPrefix(path, "/")
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	c.authorize(req)
	return req, nil
}

// Do sends a request built by InvokeRequest. Redirects are returned, not followed.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	return c.http.Do(req)
}

// Close releases the gRPC connection.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil {
		c.client.Close()
		c.client = nil
	}
}
