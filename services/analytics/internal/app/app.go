// Package app holds the analytics use cases: record events once each and keep their hourly
// aggregates, and summarise those aggregates over a period.
package app

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Store persists events and aggregates.
type Store interface {
	// Record stores the events whose id is not stored yet and, in the same transaction, adds
	// their Counters to the aggregates of their hour and currency; it returns how many were
	// new. evs have distinct ids.
	Record(ctx context.Context, evs []Event) (stored int, err error)
	// Hourly returns the aggregates of the hours in [from, to), by hour then currency.
	Hourly(ctx context.Context, from, to time.Time) ([]HourlyStats, error)
}

// HourlyStats are the aggregates of one hour and currency as stored: the amounts are sums of
// any size.
type HourlyStats struct {
	Hour             time.Time
	Currency         string
	OrdersCreated    int64
	OrdersPaid       int64
	OrdersCancelled  int64
	PaymentsFailed   int64
	PaymentsRefunded int64
	Revenue          *big.Int
	RefundedAmount   *big.Int
}

// Service runs the use cases.
type Service struct {
	store Store
	now   func() time.Time
}

// New returns the use cases on store; now is the clock (time.Now when nil).
func New(store Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// Record stores each event once — a repeated id, in evs or from an earlier call, counts once —
// and returns how many were new.
func (s *Service) Record(ctx context.Context, evs []Event) (int, error) {
	seen := make(map[string]bool, len(evs))
	unique := make([]Event, 0, len(evs))
	for _, ev := range evs {
		if !seen[ev.ID] {
			seen[ev.ID] = true
			unique = append(unique, ev)
		}
	}
	if len(unique) == 0 {
		return 0, nil
	}
	return s.store.Record(ctx, unique)
}

// Summary periods.
const (
	DefaultPeriod = 24 * time.Hour
	MaxPeriod     = 31 * 24 * time.Hour
)

// ErrInvalidPeriod is wrapped by the errors of a period Summary does not accept.
var ErrInvalidPeriod = errors.New("invalid period")

// Period asks for a summary; a nil bound takes its default (to: now; from: to - DefaultPeriod).
type Period struct {
	From, To *time.Time
}

// Summary is the aggregates of a period.
type Summary struct {
	From, To time.Time // from rounded down to its hour
	Totals   Totals
	Hourly   []HourlyStats
}

// Totals sum a summary's hours: counts over every currency, amounts per currency.
type Totals struct {
	OrdersCreated    int64
	OrdersPaid       int64
	OrdersCancelled  int64
	PaymentsFailed   int64
	PaymentsRefunded int64
	Revenue          map[string]*big.Int
	Refunded         map[string]*big.Int
}

// Summary returns the aggregates of the hours that start in [from, to), from rounded down to
// its hour. The period must not be reversed nor longer than MaxPeriod.
func (s *Service) Summary(ctx context.Context, p Period) (Summary, error) {
	to := s.now().UTC()
	if p.To != nil {
		to = p.To.UTC()
	}
	from := to.Add(-DefaultPeriod)
	if p.From != nil {
		from = p.From.UTC()
	}
	from = from.Truncate(time.Hour)
	switch {
	case from.After(to):
		return Summary{}, fmt.Errorf("%w: from is after to", ErrInvalidPeriod)
	case to.Sub(from) > MaxPeriod:
		return Summary{}, fmt.Errorf("%w: the period is longer than %s", ErrInvalidPeriod, MaxPeriod)
	}
	hourly, err := s.store.Hourly(ctx, from, to)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{From: from, To: to, Hourly: hourly, Totals: Totals{
		Revenue:  make(map[string]*big.Int),
		Refunded: make(map[string]*big.Int),
	}}
	t := &sum.Totals
	for _, h := range hourly {
		t.OrdersCreated += h.OrdersCreated
		t.OrdersPaid += h.OrdersPaid
		t.OrdersCancelled += h.OrdersCancelled
		t.PaymentsFailed += h.PaymentsFailed
		t.PaymentsRefunded += h.PaymentsRefunded
		add(t.Revenue, h.Currency, h.Revenue)
		add(t.Refunded, h.Currency, h.RefundedAmount)
	}
	return sum, nil
}

func add(m map[string]*big.Int, currency string, v *big.Int) {
	sum, ok := m[currency]
	if !ok {
		sum = new(big.Int)
		m[currency] = sum
	}
	if v != nil {
		sum.Add(sum, v)
	}
}
