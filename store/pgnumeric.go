package store

import (
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Medians and means the health measures compute in Go, from the rows
// PostgreSQL returns, must equal, to the last bit, those PostgreSQL
// would compute: a sub-score rounded to one place can turn on
// it. PostgreSQL divides numerics to a scale of its choosing, rounding
// half away from zero, and then reads the quotient as a float8; pgDiv does
// the same.

// pgDiv is a / b as PostgreSQL's numeric division computes it, read as a
// float8.
func pgDiv(a, b decimal.Decimal) float64 {
	q := a.DivRound(b, pgDivScale(a, b))
	f, _ := strconv.ParseFloat(q.String(), 64)
	return f
}

// pgDivScale is the scale PostgreSQL gives a / b (select_div_scale): 16
// significant digits of the estimated quotient, at least the scales of
// a and b.
func pgDivScale(a, b decimal.Decimal) int32 {
	w1, d1 := nbaseLead(a)
	w2, d2 := nbaseLead(b)
	qweight := w1 - w2
	if d1 <= d2 {
		qweight--
	}
	scale := max(16-4*qweight, scaleOf(a), scaleOf(b), 0)
	return min(scale, 1000)
}

// scaleOf is the number of decimal places d is written with.
func scaleOf(d decimal.Decimal) int32 { return max(-d.Exponent(), 0) }

// nbaseLead is the weight and value of d's first non-zero digit in base
// 10,000, PostgreSQL's numeric base, digits grouped from the decimal
// point; 0, 0 for zero.
func nbaseLead(d decimal.Decimal) (weight int32, digit int) {
	s := d.Abs().StringFixed(scaleOf(d))
	ip, fp, _ := strings.Cut(s, ".")
	ip = strings.TrimLeft(ip, "0")
	if ip != "" {
		lead := len(ip) % 4
		if lead == 0 {
			lead = 4
		}
		digit, _ = strconv.Atoi(ip[:lead])
		return int32((len(ip) - 1) / 4), digit
	}
	for len(fp)%4 != 0 {
		fp += "0"
	}
	for i := 0; i < len(fp); i += 4 {
		if g, _ := strconv.Atoi(fp[i : i+4]); g != 0 {
			return -int32(i/4) - 1, g
		}
	}
	return 0, 0
}

// secondsPerHour makes an epoch a number of hours.
var secondsPerHour = decimal.NewFromInt(3600)

// pgHours is extract(epoch FROM b - a) / 3600 as PostgreSQL computes it,
// a and b Unix microseconds: the epoch a numeric of six places.
func pgHours(a, b int64) float64 { return pgDiv(decimal.New(b-a, -6), secondsPerHour) }

// pgAvg is avg() of integers as PostgreSQL computes it, read as a float8.
func pgAvg(sum, n int) float64 {
	return pgDiv(decimal.NewFromInt(int64(sum)), decimal.NewFromInt(int64(n)))
}
