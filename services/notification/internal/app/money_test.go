package app_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/orderflow/orderflow/services/notification/internal/app"
)

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		amount   int64
		currency string
		want     string
	}{
		{2500, "EUR", "25.00 EUR"},
		{0, "EUR", "0.00 EUR"},
		{5, "USD", "0.05 USD"},
		{99, "GBP", "0.99 GBP"},
		{100, "EUR", "1.00 EUR"},
		{123456789, "EUR", "1234567.89 EUR"},
		{-1050, "EUR", "-10.50 EUR"},
		{1500, "JPY", "1500 JPY"},
		{0, "JPY", "0 JPY"},
		{-7, "KRW", "-7 KRW"},
		{1234, "KWD", "1.234 KWD"},
		{5, "BHD", "0.005 BHD"},
		{12345, "CLF", "1.2345 CLF"},
		{1999, "XYZ", "19.99 XYZ"}, // unknown currencies have 2 decimals
		{math.MaxInt64, "EUR", "92233720368547758.07 EUR"},
		{math.MinInt64, "EUR", "-92233720368547758.08 EUR"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, app.FormatMoney(tt.amount, tt.currency))
		})
	}
}

func TestExponent(t *testing.T) {
	assert.Equal(t, 2, app.Exponent("EUR"))
	assert.Equal(t, 0, app.Exponent("JPY"))
	assert.Equal(t, 3, app.Exponent("KWD"))
	assert.Equal(t, 2, app.Exponent(""))
}
