package app_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/services/analytics/internal/app"
)

type fakeStore struct {
	recorded   [][]app.Event
	hourly     []app.HourlyStats
	from, to   time.Time
	hourlyCall bool
}

func (f *fakeStore) Record(_ context.Context, evs []app.Event) (int, error) {
	f.recorded = append(f.recorded, evs)
	return len(evs), nil
}

func (f *fakeStore) Hourly(_ context.Context, from, to time.Time) ([]app.HourlyStats, error) {
	f.hourlyCall, f.from, f.to = true, from, to
	return f.hourly, nil
}

func TestRecordDeduplicatesTheBatch(t *testing.T) {
	store := &fakeStore{}
	n, err := app.New(store, nil).Record(context.Background(), []app.Event{{ID: "a", Amount: 1}, {ID: "b"}, {ID: "a", Amount: 2}})
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	require.Len(t, store.recorded, 1)
	assert.Equal(t, []app.Event{{ID: "a", Amount: 1}, {ID: "b"}}, store.recorded[0], "the first of each id is kept")

	n, err = app.New(store, nil).Record(context.Background(), nil)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Len(t, store.recorded, 1, "nothing to record, no transaction")
}

func ptr(t time.Time) *time.Time { return &t }

func TestSummaryPeriod(t *testing.T) {
	now := time.Date(2025, 3, 2, 10, 20, 0, 0, time.UTC)
	tests := []struct {
		name             string
		period           app.Period
		wantFrom, wantTo time.Time
	}{
		{"defaults: the last 24 hours", app.Period{}, time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), now},
		{"from only", app.Period{From: ptr(time.Date(2025, 3, 2, 8, 59, 0, 0, time.UTC))}, time.Date(2025, 3, 2, 8, 0, 0, 0, time.UTC), now},
		{"to only", app.Period{To: ptr(time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC))}, time.Date(2025, 2, 9, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC)},
		{"other zone", app.Period{From: ptr(time.Date(2025, 3, 2, 1, 30, 0, 0, time.FixedZone("X", 5400))), To: ptr(now)},
			time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC), now},
		{"empty period", app.Period{From: ptr(now), To: ptr(now)}, time.Date(2025, 3, 2, 10, 0, 0, 0, time.UTC), now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{}
			s, err := app.New(store, func() time.Time { return now }).Summary(context.Background(), tt.period)
			require.NoError(t, err)
			assert.Equal(t, tt.wantFrom, s.From)
			assert.Equal(t, tt.wantTo, s.To)
			assert.Equal(t, tt.wantFrom, store.from)
			assert.Equal(t, tt.wantTo, store.to)
		})
	}
}

func TestSummaryRejectsPeriods(t *testing.T) {
	now := time.Date(2025, 3, 2, 10, 20, 0, 0, time.UTC)
	tests := map[string]app.Period{
		"reversed":  {From: ptr(now), To: ptr(now.Add(-2 * time.Hour))},
		"too long":  {From: ptr(now.Add(-app.MaxPeriod - time.Hour)), To: ptr(now)},
		"from only": {From: ptr(now.Add(time.Hour * 2))},
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			store := &fakeStore{}
			_, err := app.New(store, func() time.Time { return now }).Summary(context.Background(), p)
			require.ErrorIs(t, err, app.ErrInvalidPeriod)
			assert.False(t, store.hourlyCall)
		})
	}
}

func TestSummaryTotals(t *testing.T) {
	h1 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	huge, _ := new(big.Int).SetString("18446744073709551614", 10) // beyond int64
	store := &fakeStore{hourly: []app.HourlyStats{
		{Hour: h1, Currency: "EUR", OrdersCreated: 2, OrdersPaid: 1, Revenue: big.NewInt(2500), RefundedAmount: big.NewInt(0)},
		{Hour: h1, Currency: "JPY", OrdersCreated: 1, OrdersCancelled: 1, PaymentsFailed: 1, Revenue: big.NewInt(0), RefundedAmount: big.NewInt(0)},
		{Hour: h1.Add(time.Hour), Currency: "EUR", PaymentsRefunded: 1, Revenue: huge, RefundedAmount: big.NewInt(700)},
	}}
	s, err := app.New(store, func() time.Time { return h1.Add(3 * time.Hour) }).Summary(context.Background(), app.Period{})
	require.NoError(t, err)
	assert.Equal(t, store.hourly, s.Hourly)
	tot := s.Totals
	assert.Equal(t, []int64{3, 1, 1, 1, 1}, []int64{tot.OrdersCreated, tot.OrdersPaid, tot.OrdersCancelled, tot.PaymentsFailed, tot.PaymentsRefunded})
	assert.Equal(t, map[string]string{"EUR": "18446744073709554114", "JPY": "0"}, strings(tot.Revenue))
	assert.Equal(t, map[string]string{"EUR": "700", "JPY": "0"}, strings(tot.Refunded))
}

func strings(m map[string]*big.Int) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v.String()
	}
	return out
}
