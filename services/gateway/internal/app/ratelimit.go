package app

import (
	"context"

	"github.com/orderflow/orderflow/services/gateway/internal/domain"
	"github.com/orderflow/orderflow/services/gateway/internal/metrics"
)

// CheckRateLimit counts a request of client's API key against the per-minute limit. It fails
// open: when the limiter errs the request is allowed (Remaining -1) and the failure is counted.
// With a limit of 0 every request is allowed.
func (g *Gateway) CheckRateLimit(ctx context.Context, client domain.Client) Decision {
	limit := g.opts.RateLimitPerMinute
	if limit <= 0 || g.limiter == nil {
		return Decision{Allowed: true, Remaining: -1}
	}
	d, err := g.limiter.Allow(ctx, client.KeyID, limit)
	if err != nil {
		g.storeFailed(ctx, metrics.OpRateLimit, err)
		return Decision{Allowed: true, Limit: limit, Remaining: -1}
	}
	if !d.Allowed {
		metrics.RateLimited.Inc()
	}
	return d
}
