// Package simprovider is a deterministic, in-process payment provider for development and
// tests. It approves every charge except:
//
//   - payment token "tok_decline": declined, reason "card declined";
//   - an amount above the configured limit: declined, reason "amount above limit";
//   - payment token "tok_error": a transient error (the provider is "unavailable"), so the
//     event is retried — it never succeeds, which is what tests of the retry path need.
//
// Provider references derive from the idempotency key, so a repeated charge or refund with the
// same key gives the same answer, as a real provider's idempotency keys would.
package simprovider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/orderflow/orderflow/services/payment/internal/app"
)

// Magic payment tokens.
const (
	TokenDecline = "tok_decline"
	TokenError   = "tok_error"
)

// Decline reasons.
const (
	ReasonCardDeclined     = "card declined"
	ReasonAmountAboveLimit = "amount above limit"
)

// DefaultDeclineAbove is the default limit (minor units): larger amounts are declined.
const DefaultDeclineAbove int64 = 1_000_000

// ErrUnavailable is the transient error returned for TokenError.
var ErrUnavailable = errors.New("simprovider: provider unavailable")

// Provider is the simulated provider. It is stateless and safe for concurrent use.
type Provider struct {
	declineAbove int64
}

var _ app.Provider = (*Provider)(nil)

// New returns a provider that declines amounts above declineAbove minor units.
func New(declineAbove int64) *Provider {
	return &Provider{declineAbove: declineAbove}
}

// Charge implements app.Provider.
func (p *Provider) Charge(ctx context.Context, req app.ChargeRequest) (app.ChargeResult, error) {
	if err := ctx.Err(); err != nil {
		return app.ChargeResult{}, err
	}
	if req.IdempotencyKey == "" {
		return app.ChargeResult{}, errors.New("simprovider: charge without an idempotency key")
	}
	switch {
	case req.PaymentToken == TokenError:
		return app.ChargeResult{}, fmt.Errorf("%w (token %s)", ErrUnavailable, TokenError)
	case req.PaymentToken == TokenDecline:
		return app.ChargeResult{DeclineReason: ReasonCardDeclined}, nil
	case req.Amount > p.declineAbove:
		return app.ChargeResult{DeclineReason: ReasonAmountAboveLimit}, nil
	}
	return app.ChargeResult{Approved: true, ProviderRef: ref("ch", req.IdempotencyKey)}, nil
}

// Refund implements app.Provider: it refunds any charge this provider approved.
func (p *Provider) Refund(ctx context.Context, req app.RefundRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if req.IdempotencyKey == "" || req.ProviderRef == "" {
		return errors.New("simprovider: refund needs an idempotency key and the charge's reference")
	}
	return nil
}

// ref is a stable reference for key: sim_<kind>_<24 hex digits>.
func ref(kind, key string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + key))
	return "sim_" + kind + "_" + hex.EncodeToString(sum[:12])
}
