package payment_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/services/payment/internal/domain/payment"
)

var now = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func validCharge() payment.Charge {
	return payment.Charge{ID: "p-1", OrderID: "o-1", CustomerID: "c-1", Amount: 2500, Currency: "EUR"}
}

func TestChargeValidate(t *testing.T) {
	long := string(make([]byte, payment.MaxIDLength+1))
	tests := []struct {
		name   string
		modify func(*payment.Charge)
		want   string // substring of the error; "" for valid
	}{
		{"valid", func(*payment.Charge) {}, ""},
		{"zero amount is valid", func(c *payment.Charge) { c.Amount = 0 }, ""},
		{"no id", func(c *payment.Charge) { c.ID = "" }, "id is required"},
		{"no order", func(c *payment.Charge) { c.OrderID = "" }, "orderId is required"},
		{"order id too long", func(c *payment.Charge) { c.OrderID = long }, "orderId must be at most"},
		{"no customer", func(c *payment.Charge) { c.CustomerID = "" }, "customerId is required"},
		{"negative amount", func(c *payment.Charge) { c.Amount = -1 }, "amount must not be negative"},
		{"lower-case currency", func(c *payment.Charge) { c.Currency = "eur" }, "currency"},
		{"short currency", func(c *payment.Charge) { c.Currency = "EU" }, "currency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validCharge()
			tt.modify(&c)
			err := c.Validate()
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, payment.ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestNewCompleted(t *testing.T) {
	p, err := payment.NewCompleted(validCharge(), "ref-1", now.In(time.FixedZone("X", 3600)))
	require.NoError(t, err)
	assert.Equal(t, payment.Payment{
		ID: "p-1", OrderID: "o-1", CustomerID: "c-1", Amount: 2500, Currency: "EUR",
		Status: payment.StatusCompleted, ProviderRef: "ref-1", Version: 1, CreatedAt: now, UpdatedAt: now,
	}, p)
	assert.Equal(t, time.UTC, p.CreatedAt.Location())

	_, err = payment.NewCompleted(validCharge(), "", now)
	assert.ErrorIs(t, err, payment.ErrInvalid, "a completed payment needs a provider reference")
	bad := validCharge()
	bad.Currency = ""
	_, err = payment.NewCompleted(bad, "ref-1", now)
	assert.ErrorIs(t, err, payment.ErrInvalid)
}

func TestNewFailed(t *testing.T) {
	p, err := payment.NewFailed(validCharge(), "card declined", now)
	require.NoError(t, err)
	assert.Equal(t, payment.StatusFailed, p.Status)
	assert.Equal(t, "card declined", p.Reason)
	assert.Empty(t, p.ProviderRef)
	assert.Equal(t, int64(1), p.Version)

	_, err = payment.NewFailed(validCharge(), "", now)
	assert.ErrorIs(t, err, payment.ErrInvalid, "a failed payment needs a reason")
}

func TestTransitions(t *testing.T) {
	statuses := []payment.Status{payment.StatusCompleted, payment.StatusFailed, payment.StatusRefunded}
	allowed := map[[2]payment.Status]bool{{payment.StatusCompleted, payment.StatusRefunded}: true}
	for _, from := range statuses {
		for _, to := range statuses {
			assert.Equal(t, allowed[[2]payment.Status{from, to}], from.CanTransitionTo(to), "%s → %s", from, to)
		}
	}
	for _, s := range statuses {
		assert.True(t, s.Valid(), s)
	}
	assert.False(t, payment.Status("pending").Valid())
}

func TestRefund(t *testing.T) {
	later := now.Add(time.Hour)
	t.Run("completed becomes refunded", func(t *testing.T) {
		p, err := payment.NewCompleted(validCharge(), "ref-1", now)
		require.NoError(t, err)
		require.NoError(t, p.Refund("order cancelled", later))
		assert.Equal(t, payment.StatusRefunded, p.Status)
		assert.Equal(t, "order cancelled", p.Reason)
		assert.Equal(t, int64(2), p.Version)
		assert.Equal(t, later, p.UpdatedAt)
		assert.Equal(t, now, p.CreatedAt)
		assert.Equal(t, "ref-1", p.ProviderRef)
	})
	t.Run("refunded and failed are final", func(t *testing.T) {
		refunded, err := payment.NewCompleted(validCharge(), "ref-1", now)
		require.NoError(t, err)
		require.NoError(t, refunded.Refund("first", later))
		failed, err := payment.NewFailed(validCharge(), "card declined", now)
		require.NoError(t, err)
		for _, p := range []payment.Payment{refunded, failed} {
			before := p
			err := p.Refund("again", later.Add(time.Hour))
			require.ErrorIs(t, err, payment.ErrInvalidTransition)
			assert.Equal(t, before, p, "a refused transition changes nothing")
		}
	})
}
