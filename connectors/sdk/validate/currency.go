package validate

// currencies are the ISO 4217 codes a record's money may be in: those of
// the standard's list one (current currencies and funds, precious metals
// and the IMF's units), and those withdrawn since 2010 that records of
// past years still carry (HRK before Croatia took the euro, say). XTS and
// XXX, for testing and for "no currency", are no currency to count
// money in.
var currencies = setOf(
	"AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN",
	"BAM", "BBD", "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
	"CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK",
	"DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD",
	"HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY",
	"KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD",
	"MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN",
	"NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
	"RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
	"THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS",
	"VED", "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XUA",
	"YER", "ZAR", "ZMW", "ZWG", "ZWL",
	// Withdrawn since 2010.
	"BYR", "EEK", "HRK", "LTL", "LVL", "MRO", "STD", "VEF", "ZMK",
)

func setOf(values ...string) map[string]bool {
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return m
}

// Currencies lists the codes a money field may carry, in no order. Pulse's
// model keeps the same list (domain.Currencies); a test in sync keeps the
// two in step.
func Currencies() []string {
	codes := make([]string, 0, len(currencies))
	for c := range currencies {
		codes = append(codes, c)
	}
	return codes
}

// currency checks a money field's currency: an ISO 4217 code, spelled as
// the standard spells it.
func (p *Problems) currency(field, code string, required bool) {
	switch {
	case code == "":
		if required {
			p.add(field, "is required")
		}
	case !currencies[code]:
		p.add(field, "%q is not an ISO 4217 currency code (three capital letters, such as USD or EUR)", code)
	}
}
