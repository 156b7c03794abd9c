package simprovider_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/services/payment/internal/adapters/simprovider"
	"github.com/orderflow/orderflow/services/payment/internal/app"
)

func TestCharge(t *testing.T) {
	const limit = 10_000
	tests := []struct {
		name       string
		token      string
		amount     int64
		approved   bool
		reason     string
		wantErr    bool
		emptyIdemp bool
	}{
		{name: "approved", token: "tok_visa", amount: 2500, approved: true},
		{name: "approved without a token", amount: 2500, approved: true},
		{name: "approved at the limit", amount: limit, approved: true},
		{name: "declined above the limit", amount: limit + 1, reason: simprovider.ReasonAmountAboveLimit},
		{name: "declined by token", token: simprovider.TokenDecline, amount: 100, reason: simprovider.ReasonCardDeclined},
		{name: "token decline wins over the amount", token: simprovider.TokenDecline, amount: limit + 1, reason: simprovider.ReasonCardDeclined},
		{name: "transient error by token", token: simprovider.TokenError, amount: 100, wantErr: true},
		{name: "no idempotency key", amount: 100, wantErr: true, emptyIdemp: true},
	}
	p := simprovider.New(limit)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := app.ChargeRequest{IdempotencyKey: "order-1", OrderID: "order-1", CustomerID: "c-1",
				Amount: tt.amount, Currency: "EUR", PaymentToken: tt.token}
			if tt.emptyIdemp {
				req.IdempotencyKey = ""
			}
			res, err := p.Charge(context.Background(), req)
			if tt.wantErr {
				require.Error(t, err)
				assert.Equal(t, app.ChargeResult{}, res)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.approved, res.Approved)
			assert.Equal(t, tt.reason, res.DeclineReason)
			if tt.approved {
				assert.True(t, strings.HasPrefix(res.ProviderRef, "sim_ch_"), res.ProviderRef)
			} else {
				assert.Empty(t, res.ProviderRef)
			}
		})
	}
}

func TestChargeIsIdempotentAndDeterministic(t *testing.T) {
	p := simprovider.New(simprovider.DefaultDeclineAbove)
	req := app.ChargeRequest{IdempotencyKey: "order-1", OrderID: "order-1", CustomerID: "c", Amount: 1, Currency: "EUR"}
	first, err := p.Charge(context.Background(), req)
	require.NoError(t, err)
	again, err := simprovider.New(simprovider.DefaultDeclineAbove).Charge(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, first, again, "same key, same answer")
	req.IdempotencyKey = "order-2"
	other, err := p.Charge(context.Background(), req)
	require.NoError(t, err)
	assert.NotEqual(t, first.ProviderRef, other.ProviderRef)
}

func TestErrorsAndCancellation(t *testing.T) {
	p := simprovider.New(simprovider.DefaultDeclineAbove)
	_, err := p.Charge(context.Background(), app.ChargeRequest{IdempotencyKey: "k", PaymentToken: simprovider.TokenError})
	assert.ErrorIs(t, err, simprovider.ErrUnavailable)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Charge(ctx, app.ChargeRequest{IdempotencyKey: "k", Amount: 1})
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, p.Refund(ctx, app.RefundRequest{IdempotencyKey: "k", ProviderRef: "r"}), context.Canceled)
}

func TestRefund(t *testing.T) {
	p := simprovider.New(simprovider.DefaultDeclineAbove)
	tests := []struct {
		name    string
		req     app.RefundRequest
		wantErr bool
	}{
		{"refund of a charge", app.RefundRequest{IdempotencyKey: "pay-1", PaymentID: "pay-1", ProviderRef: "sim_ch_x", Amount: 5, Currency: "EUR"}, false},
		{"no reference", app.RefundRequest{IdempotencyKey: "pay-1", PaymentID: "pay-1"}, true},
		{"no idempotency key", app.RefundRequest{ProviderRef: "sim_ch_x"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Refund(context.Background(), tt.req)
			assert.Equal(t, tt.wantErr, err != nil, "error: %v", err)
		})
	}
}
