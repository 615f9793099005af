package domain

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// TextProblem says why s cannot be stored as text, or is empty when it
// can. PostgreSQL text (and jsonb) holds UTF-8 only and no NUL byte: one
// such value in a statement fails the statement, and with it every other
// row the statement carried. So text from connectors and clients is checked
// with this rule on its way in, and refused there with the field named.
// Positions are 1-based byte offsets, to find the byte in a long text.
func TextProblem(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return fmt.Sprintf("contains a NUL byte (at byte %d), which cannot be stored as text", i+1)
	}
	for i, r := range s {
		if r != utf8.RuneError {
			continue
		}
		// U+FFFD itself is fine; a byte that does not decode is not.
		if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
			return fmt.Sprintf("is not valid UTF-8 (at byte %d)", i+1)
		}
	}
	return ""
}

// PrintableText is s made storable for diagnostics (an error message, the
// id a problem concerns) rather than data: a NUL byte shows as \0 and bytes
// that are not UTF-8 as U+FFFD, so that telling of bad text cannot fail to
// store in turn.
func PrintableText(s string) string {
	if TextProblem(s) == "" {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", `\0`), "\uFFFD")
}

// The most digits PostgreSQL's numeric holds before and after the point.
const (
	numericMaxWhole    = 131072
	numericMaxFraction = 16383
)

// DecimalProblem says why d cannot be stored as a numeric, or is empty
// when it can. A decimal parsed from text can carry any exponent
// ("1e200000"); the database refuses it, and with it the statement.
func DecimalProblem(d decimal.Decimal) string {
	exp := int64(d.Exponent())
	switch {
	case d.IsZero():
		return ""
	case exp > 0 && int64(d.NumDigits())+exp > numericMaxWhole:
		return fmt.Sprintf("is too large: a number holds at most %d digits before the point", numericMaxWhole)
	case exp < -numericMaxFraction:
		return fmt.Sprintf("is too precise: a number holds at most %d digits after the point", numericMaxFraction)
	}
	return ""
}
