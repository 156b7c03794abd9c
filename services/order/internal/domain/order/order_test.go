package order_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/services/order/internal/domain/order"
)

var (
	created = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	later   = created.Add(time.Minute)
)

func validParams() order.NewParams {
	return order.NewParams{
		ID:         "0195b4a2-0000-7000-8000-000000000001",
		CustomerID: "c-1",
		Currency:   "EUR",
		Items: []order.Item{
			{ProductID: "p-1", Quantity: 2, UnitPrice: 1250},
			{ProductID: "p-2", Quantity: 1, UnitPrice: 99},
		},
		Now: created,
	}
}

func items(n int) []order.Item {
	its := make([]order.Item, n)
	for i := range its {
		its[i] = order.Item{ProductID: "p", Quantity: 1, UnitPrice: 1}
	}
	return its
}

func TestNewValid(t *testing.T) {
	o, err := order.New(validParams())
	require.NoError(t, err)
	assert.Equal(t, order.StatusPending, o.Status)
	assert.Equal(t, int64(2599), o.TotalAmount)
	assert.Equal(t, int64(1), o.Version)
	assert.Equal(t, created, o.CreatedAt)
	assert.Equal(t, created, o.UpdatedAt)
	assert.Len(t, o.Items, 2)
	assert.Empty(t, o.StatusReason)
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name   string
		modify func(p *order.NewParams)
		want   map[string]string // field → part of the message
	}{
		{"missing customer", func(p *order.NewParams) { p.CustomerID = "" }, map[string]string{"customerId": "required"}},
		{"blank customer", func(p *order.NewParams) { p.CustomerID = "   " }, map[string]string{"customerId": "required"}},
		{"customer too long", func(p *order.NewParams) { p.CustomerID = strings.Repeat("c", 101) }, map[string]string{"customerId": "at most 100"}},
		{"lower-case currency", func(p *order.NewParams) { p.Currency = "eur" }, map[string]string{"currency": "ISO 4217"}},
		{"short currency", func(p *order.NewParams) { p.Currency = "EU" }, map[string]string{"currency": "ISO 4217"}},
		{"long currency", func(p *order.NewParams) { p.Currency = "EURO" }, map[string]string{"currency": "ISO 4217"}},
		{"no items", func(p *order.NewParams) { p.Items = nil }, map[string]string{"items": "at least one"}},
		{"101 items", func(p *order.NewParams) { p.Items = items(101) }, map[string]string{"items": "at most 100"}},
		{"missing product", func(p *order.NewParams) { p.Items[1].ProductID = "" }, map[string]string{"items[1].productId": "required"}},
		{"product too long", func(p *order.NewParams) { p.Items[0].ProductID = strings.Repeat("p", 101) }, map[string]string{"items[0].productId": "at most 100"}},
		{"zero quantity", func(p *order.NewParams) { p.Items[0].Quantity = 0 }, map[string]string{"items[0].quantity": "from 1 to 1000"}},
		{"negative quantity", func(p *order.NewParams) { p.Items[0].Quantity = -1 }, map[string]string{"items[0].quantity": "from 1 to 1000"}},
		{"quantity over 1000", func(p *order.NewParams) { p.Items[0].Quantity = 1001 }, map[string]string{"items[0].quantity": "from 1 to 1000"}},
		{"negative price", func(p *order.NewParams) { p.Items[1].UnitPrice = -5 }, map[string]string{"items[1].unitPrice": "negative"}},
		{"total overflows", func(p *order.NewParams) {
			p.Items = []order.Item{{ProductID: "p", Quantity: 2, UnitPrice: math.MaxInt64 / 2}, {ProductID: "q", Quantity: 1, UnitPrice: 2}}
		}, map[string]string{"items": "too large"}},
		{"several problems at once", func(p *order.NewParams) { p.CustomerID = ""; p.Currency = "x"; p.Items[0].Quantity = 0 },
			map[string]string{"customerId": "required", "currency": "ISO 4217", "items[0].quantity": "from 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validParams()
			tt.modify(&p)
			o, err := order.New(p)
			require.Error(t, err)
			assert.Nil(t, o)
			var verr *order.ValidationError
			require.ErrorAs(t, err, &verr)
			require.Len(t, verr.Fields, len(tt.want), "fields: %v", verr.Fields)
			for field, msg := range tt.want {
				assert.Contains(t, verr.Fields[field], msg, "field %s", field)
			}
		})
	}
}

func TestNewBoundaries(t *testing.T) {
	p := validParams()
	p.CustomerID = strings.Repeat("ü", 100) // 100 characters, 200 bytes
	p.Items = items(100)
	p.Items[0].Quantity = 1000
	p.Items[1].UnitPrice = 0
	o, err := order.New(p)
	require.NoError(t, err)
	assert.Equal(t, int64(1000+0+98), o.TotalAmount)
}

func TestTotal(t *testing.T) {
	tests := []struct {
		name    string
		items   []order.Item
		want    int64
		wantErr bool
		errIs   error
	}{
		{name: "empty", want: 0},
		{name: "one line", items: []order.Item{{Quantity: 3, UnitPrice: 700}}, want: 2100},
		{name: "free items", items: []order.Item{{Quantity: 3, UnitPrice: 0}, {Quantity: 1, UnitPrice: 5}}, want: 5},
		{name: "exactly max int64", items: []order.Item{{Quantity: 1, UnitPrice: math.MaxInt64}}, want: math.MaxInt64},
		{name: "line overflows", items: []order.Item{{Quantity: 2, UnitPrice: math.MaxInt64/2 + 1}}, wantErr: true, errIs: order.ErrTotalOverflow},
		{name: "sum overflows", items: []order.Item{{Quantity: 1, UnitPrice: math.MaxInt64}, {Quantity: 1, UnitPrice: 1}}, wantErr: true, errIs: order.ErrTotalOverflow},
		{name: "negative input", items: []order.Item{{Quantity: -1, UnitPrice: 1}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := order.Total(tt.items)
			if tt.wantErr {
				require.Error(t, err)
				if tt.errIs != nil {
					assert.ErrorIs(t, err, tt.errIs)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCanTransition(t *testing.T) {
	all := []order.Status{order.StatusPending, order.StatusPaid, order.StatusCancelled, order.StatusShipped}
	allowed := map[[2]order.Status]bool{
		{order.StatusPending, order.StatusPaid}:      true,
		{order.StatusPending, order.StatusCancelled}: true,
		{order.StatusPaid, order.StatusCancelled}:    true,
		{order.StatusPaid, order.StatusShipped}:      true,
	}
	for _, from := range all {
		for _, to := range all {
			t.Run(string(from)+"→"+string(to), func(t *testing.T) {
				assert.Equal(t, allowed[[2]order.Status{from, to}], order.CanTransition(from, to))
			})
		}
	}
	assert.False(t, order.CanTransition("unknown", order.StatusPaid))
	assert.True(t, order.StatusShipped.Valid())
	assert.False(t, order.Status("refunded").Valid())
}

func orderIn(t *testing.T, s order.Status) *order.Order {
	t.Helper()
	o, err := order.New(validParams())
	require.NoError(t, err)
	o.Status = s
	o.Version = 3
	o.StatusReason = "before"
	return o
}

func TestRequestStatus(t *testing.T) {
	tests := []struct {
		from    order.Status
		to      order.Status
		allowed bool
	}{
		{order.StatusPending, order.StatusCancelled, true},
		{order.StatusPaid, order.StatusCancelled, true},
		{order.StatusPaid, order.StatusShipped, true},
		{order.StatusPending, order.StatusShipped, false},
		{order.StatusPending, order.StatusPaid, false}, // paid comes only from payment.completed
		{order.StatusPending, order.StatusPending, false},
		{order.StatusPaid, order.StatusPaid, false},
		{order.StatusCancelled, order.StatusCancelled, false},
		{order.StatusCancelled, order.StatusShipped, false},
		{order.StatusCancelled, order.StatusPaid, false},
		{order.StatusShipped, order.StatusCancelled, false},
		{order.StatusShipped, order.StatusShipped, false},
		{order.StatusPending, "refunded", false},
		{order.StatusPaid, "", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+"→"+string(tt.to), func(t *testing.T) {
			o := orderIn(t, tt.from)
			ch, err := o.RequestStatus(tt.to, "customer asked", later)
			if !tt.allowed {
				var terr *order.TransitionError
				require.ErrorAs(t, err, &terr)
				assert.ErrorIs(t, err, order.ErrInvalidTransition)
				assert.Equal(t, order.TransitionError{From: tt.from, To: tt.to}, *terr)
				assert.Equal(t, tt.from, o.Status, "status unchanged")
				assert.Equal(t, int64(3), o.Version, "version unchanged")
				assert.Equal(t, "before", o.StatusReason)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, order.Change{From: tt.from, To: tt.to, Reason: "customer asked", Version: 4, At: later}, ch)
			assert.Equal(t, int64(3), ch.PreviousVersion())
			assert.Equal(t, tt.to, o.Status)
			assert.Equal(t, int64(4), o.Version)
			assert.Equal(t, "customer asked", o.StatusReason)
			assert.Equal(t, later, o.UpdatedAt)
			assert.Equal(t, created, o.CreatedAt)
		})
	}
}

func TestRequestStatusReasonTooLong(t *testing.T) {
	o := orderIn(t, order.StatusPending)
	_, err := o.RequestStatus(order.StatusCancelled, strings.Repeat("r", 501), later)
	var verr *order.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Contains(t, verr.Fields, "reason")
	assert.Equal(t, order.StatusPending, o.Status)

	_, err = o.RequestStatus(order.StatusCancelled, strings.Repeat("r", 500), later)
	assert.NoError(t, err)
}

func TestPaymentCompleted(t *testing.T) {
	tests := []struct {
		from       order.Status
		outcome    order.PaymentOutcome
		wantStatus order.Status
		wantReason string // of the change
	}{
		{order.StatusPending, order.PaymentApplied, order.StatusPaid, ""},
		{order.StatusCancelled, order.RefundRequested, order.StatusCancelled, order.ReasonRefundRequested},
		{order.StatusPaid, order.PaymentIgnored, order.StatusPaid, ""},
		{order.StatusShipped, order.PaymentIgnored, order.StatusShipped, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.from), func(t *testing.T) {
			o := orderIn(t, tt.from)
			ch, outcome := o.PaymentCompleted(later)
			assert.Equal(t, tt.outcome, outcome)
			assert.Equal(t, tt.wantStatus, o.Status)
			if outcome == order.PaymentIgnored {
				assert.Equal(t, order.Change{}, ch)
				assert.Equal(t, int64(3), o.Version)
				assert.Equal(t, created, o.UpdatedAt)
				return
			}
			assert.Equal(t, order.Change{From: tt.from, To: tt.wantStatus, Reason: tt.wantReason, Version: 4, At: later}, ch)
			assert.Equal(t, int64(4), o.Version)
			assert.Equal(t, later, o.UpdatedAt)
			if outcome == order.RefundRequested {
				assert.Equal(t, "before", o.StatusReason, "the cancellation reason is kept")
			}
		})
	}
}

func TestPaymentFailed(t *testing.T) {
	tests := []struct {
		from    order.Status
		outcome order.PaymentOutcome
	}{
		{order.StatusPending, order.PaymentApplied},
		{order.StatusCancelled, order.PaymentIgnored},
		{order.StatusPaid, order.PaymentIgnored},
		{order.StatusShipped, order.PaymentIgnored},
	}
	for _, tt := range tests {
		t.Run(string(tt.from), func(t *testing.T) {
			o := orderIn(t, tt.from)
			ch, outcome := o.PaymentFailed("card declined", later)
			assert.Equal(t, tt.outcome, outcome)
			if outcome == order.PaymentIgnored {
				assert.Equal(t, tt.from, o.Status)
				assert.Equal(t, int64(3), o.Version)
				assert.Equal(t, "before", o.StatusReason)
				return
			}
			want := "payment failed: card declined"
			assert.Equal(t, order.Change{From: order.StatusPending, To: order.StatusCancelled, Reason: want, Version: 4, At: later}, ch)
			assert.Equal(t, order.StatusCancelled, o.Status)
			assert.Equal(t, want, o.StatusReason)
		})
	}
}

func TestPaymentFailedLongReasonIsCut(t *testing.T) {
	o := orderIn(t, order.StatusPending)
	ch, _ := o.PaymentFailed(strings.Repeat("x", 1000), later)
	assert.Len(t, []rune(ch.Reason), order.MaxReasonLength)
}

func TestErrors(t *testing.T) {
	err := &order.TransitionError{From: order.StatusShipped, To: order.StatusCancelled}
	assert.Equal(t, "cannot change order status from shipped to cancelled", err.Error())
	assert.True(t, errors.Is(err, order.ErrInvalidTransition))

	verr := &order.ValidationError{Fields: map[string]string{"items": "bad", "currency": "wrong"}}
	assert.Equal(t, "invalid order: currency: wrong; items: bad", verr.Error())
}
