package app

import (
	"strconv"
	"strings"
)

// exponents lists the ISO 4217 currencies whose minor unit is not 1/100 of the major unit.
var exponents = map[string]int{
	// No minor unit.
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	// Thousandths.
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	// Ten-thousandths.
	"CLF": 4, "UYW": 4,
}

// Exponent returns the number of decimal places of currency's minor unit: 2 unless the
// currency is known to differ (0 for JPY, 3 for KWD, ...).
func Exponent(currency string) int {
	if e, ok := exponents[currency]; ok {
		return e
	}
	return 2
}

// FormatMoney formats amount, in minor units of currency, as "25.00 EUR" or "1500 JPY".
func FormatMoney(amount int64, currency string) string {
	exp := Exponent(currency)
	abs := uint64(amount) // two's complement: correct for math.MinInt64 too once negated
	sign := ""
	if amount < 0 {
		sign = "-"
		abs = -abs
	}
	digits := strconv.FormatUint(abs, 10)
	if exp > 0 {
		if len(digits) <= exp {
			digits = strings.Repeat("0", exp-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	return sign + digits + " " + currency
}
