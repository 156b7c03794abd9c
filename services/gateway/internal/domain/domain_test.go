package domain_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/services/gateway/internal/domain"
)

func price(p int64) *int64 { return &p }

func validOrder() domain.CreateOrder {
	return domain.CreateOrder{
		CustomerID: "c-1", Currency: "EUR",
		Items: []domain.OrderItem{{ProductID: "p-1", Quantity: 2, UnitPrice: price(1250)}},
	}
}

func TestCreateOrderValidate(t *testing.T) {
	items := func(n int) []domain.OrderItem {
		out := make([]domain.OrderItem, n)
		for i := range out {
			out[i] = domain.OrderItem{ProductID: "p", Quantity: 1, UnitPrice: price(1)}
		}
		return out
	}
	tests := []struct {
		name   string
		modify func(*domain.CreateOrder)
		want   []string // invalid fields; none for a valid order
	}{
		{name: "valid", modify: func(*domain.CreateOrder) {}},
		{name: "free item", modify: func(o *domain.CreateOrder) { o.Items[0].UnitPrice = price(0) }},
		{name: "limits", modify: func(o *domain.CreateOrder) {
			o.CustomerID = strings.Repeat("c", 100)
			o.PaymentToken = strings.Repeat("t", 100)
			o.Items = items(100)
			o.Items[0].Quantity = 1000
		}},
		{name: "no customer", modify: func(o *domain.CreateOrder) { o.CustomerID = "" }, want: []string{"customerId"}},
		{name: "long customer", modify: func(o *domain.CreateOrder) { o.CustomerID = strings.Repeat("c", 101) }, want: []string{"customerId"}},
		{name: "no currency", modify: func(o *domain.CreateOrder) { o.Currency = "" }, want: []string{"currency"}},
		{name: "lower-case currency", modify: func(o *domain.CreateOrder) { o.Currency = "eur" }, want: []string{"currency"}},
		{name: "digit currency", modify: func(o *domain.CreateOrder) { o.Currency = "EU1" }, want: []string{"currency"}},
		{name: "no items", modify: func(o *domain.CreateOrder) { o.Items = nil }, want: []string{"items"}},
		{name: "101 items", modify: func(o *domain.CreateOrder) { o.Items = items(101) }, want: []string{"items"}},
		{name: "no product", modify: func(o *domain.CreateOrder) { o.Items[0].ProductID = "" }, want: []string{"items[0].productId"}},
		{name: "long product", modify: func(o *domain.CreateOrder) { o.Items[0].ProductID = strings.Repeat("p", 101) }, want: []string{"items[0].productId"}},
		{name: "zero quantity", modify: func(o *domain.CreateOrder) { o.Items[0].Quantity = 0 }, want: []string{"items[0].quantity"}},
		{name: "negative quantity", modify: func(o *domain.CreateOrder) { o.Items[0].Quantity = -3 }, want: []string{"items[0].quantity"}},
		{name: "quantity 1001", modify: func(o *domain.CreateOrder) { o.Items[0].Quantity = 1001 }, want: []string{"items[0].quantity"}},
		{name: "no price", modify: func(o *domain.CreateOrder) { o.Items[0].UnitPrice = nil }, want: []string{"items[0].unitPrice"}},
		{name: "negative price", modify: func(o *domain.CreateOrder) { o.Items[0].UnitPrice = price(-1) }, want: []string{"items[0].unitPrice"}},
		{name: "long payment token", modify: func(o *domain.CreateOrder) { o.PaymentToken = strings.Repeat("t", 101) }, want: []string{"paymentToken"}},
		{name: "second item", modify: func(o *domain.CreateOrder) {
			o.Items = append(o.Items, domain.OrderItem{ProductID: "p-2", Quantity: 0, UnitPrice: price(5)})
		}, want: []string{"items[1].quantity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validOrder()
			tt.modify(&o)

			problems := o.Validate()

			var fields []string
			for f, msg := range problems {
				fields = append(fields, f)
				assert.NotEmpty(t, msg)
			}
			assert.ElementsMatch(t, tt.want, fields)
		})
	}
}

func TestCanonicalAndHash(t *testing.T) {
	a := validOrder()
	b := validOrder()
	b.PaymentToken = "tok"

	assert.JSONEq(t, `{"customerId":"c-1","currency":"EUR","items":[{"productId":"p-1","quantity":2,"unitPrice":1250}]}`, string(a.Canonical()))
	assert.Equal(t, domain.RequestHash(a.Canonical()), domain.RequestHash(validOrder().Canonical()))
	assert.NotEqual(t, domain.RequestHash(a.Canonical()), domain.RequestHash(b.Canonical()))
	assert.Len(t, domain.RequestHash(nil), 64)
}

func TestStatusChangeValidate(t *testing.T) {
	for _, s := range []string{"cancelled", "shipped", "paid", "pending"} {
		assert.Empty(t, domain.StatusChange{Status: s}.Validate(), s)
	}
	for _, s := range []string{"", "refunded", "Cancelled", " shipped"} {
		assert.Contains(t, domain.StatusChange{Status: s}.Validate(), "status", s)
	}
	assert.Contains(t, domain.StatusChange{Status: "cancelled", Reason: strings.Repeat("r", 501)}.Validate(), "reason")
}

func TestValidID(t *testing.T) {
	for _, id := range []string{"o-1", "0b9c2f1e-3d4a-4b5c-8d6e-7f8091a2b3c4", "a.b_c~d:e", strings.Repeat("x", 128)} {
		assert.True(t, domain.ValidID(id), id)
	}
	for _, id := range []string{"", ".", "..", "a/b", "a%2Fb", "a b", "a?b", "a#b", "ü", strings.Repeat("x", 129)} {
		assert.False(t, domain.ValidID(id), id)
	}
}

func TestValidIdempotencyKey(t *testing.T) {
	for _, k := range []string{"k", "order 42 attempt 1", strings.Repeat("k", 200)} {
		assert.True(t, domain.ValidIdempotencyKey(k), k)
	}
	for _, k := range []string{"", "tab\tkey", "nl\n", "ü", strings.Repeat("k", 201)} {
		assert.False(t, domain.ValidIdempotencyKey(k), k)
	}
}

func TestParseAPIKeys(t *testing.T) {
	keys, err := domain.ParseAPIKeys(" dev-key:dev-client , ci-key:ci,,")
	require.NoError(t, err)
	assert.Equal(t, 2, keys.Len())
	client, ok := keys.Lookup("dev-key")
	assert.True(t, ok)
	assert.Equal(t, "dev-client", client)
	_, ok = keys.Lookup("dev-client")
	assert.False(t, ok)
	_, ok = keys.Lookup("")
	assert.False(t, ok)

	empty, err := domain.ParseAPIKeys("")
	require.NoError(t, err)
	assert.Zero(t, empty.Len())

	for _, bad := range []string{"no-client", ":client", "key:", "k:a,k:b"} {
		_, err := domain.ParseAPIKeys(bad)
		require.Error(t, err, bad)
		assert.NotContains(t, err.Error(), "k:", "errors never quote keys")
	}
}

func TestAuthenticator(t *testing.T) {
	public, err := domain.ParseAPIKeys("pub:shop")
	require.NoError(t, err)
	admin, err := domain.ParseAPIKeys("adm:ops")
	require.NoError(t, err)
	auth, err := domain.NewAuthenticator(public, admin)
	require.NoError(t, err)

	c, ok := auth.Authenticate("pub")
	require.True(t, ok)
	assert.Equal(t, domain.Client{ID: "shop", KeyID: domain.KeyID("pub")}, c)
	c, ok = auth.Authenticate("adm")
	require.True(t, ok)
	assert.True(t, c.Admin)
	assert.Equal(t, "ops", c.ID)
	_, ok = auth.Authenticate("shop")
	assert.False(t, ok)
	assert.Len(t, domain.KeyID("pub"), 32)
	assert.NotContains(t, domain.KeyID("pub"), "pub")

	_, err = domain.NewAuthenticator(domain.APIKeys{}, domain.APIKeys{})
	assert.ErrorIs(t, err, domain.ErrNoKeys)
	both, err := domain.ParseAPIKeys("pub:other")
	require.NoError(t, err)
	_, err = domain.NewAuthenticator(public, both)
	assert.Error(t, err, "a key cannot be public and admin")
}
