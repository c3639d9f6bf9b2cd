package charter

// Checksums and formats of personal data: IBAN (ISO 13616, mod-97), payment
// cards (Luhn and brand prefixes), French NIR (INSEE key). They work on
// strings with or without separators and never panic.

// ValidIBAN reports whether s is an IBAN: a known country, that country's
// length and a mod-97 remainder of 1. Spaces and dashes between characters
// are ignored; letters may be lower case.
func ValidIBAN(s string) bool {
	var b [34]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			return false
		}
		if n == len(b) {
			return false
		}
		b[n] = c
		n++
	}
	return validIBANChars(b[:n])
}

// validIBANChars checks upper-case alphanumerics without separators.
func validIBANChars(b []byte) bool {
	if len(b) < 5 || !isUpper(b[0]) || !isUpper(b[1]) || !isDigit(b[2]) || !isDigit(b[3]) {
		return false
	}
	if ibanLength(b[0], b[1]) != len(b) {
		return false
	}
	if check := int(b[2]-'0')*10 + int(b[3]-'0'); check < 2 || check > 98 {
		return false
	}
	// Move the first four characters to the end, read letters as 10..35,
	// and reduce modulo 97 as we go.
	rem := 0
	for i := range b {
		c := b[(i+4)%len(b)]
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case isUpper(c):
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return rem == 1
}

// ibanLength is the IBAN length of a country (SWIFT IBAN registry), or 0.
func ibanLength(a, b byte) int {
	switch string([]byte{a, b}) {
	case "NO":
		return 15
	case "BE":
		return 16
	case "DK", "FI", "FK", "FO", "GL", "NL", "SD":
		return 18
	case "MK", "SI":
		return 19
	case "AT", "BA", "EE", "KZ", "LT", "LU", "MN", "XK":
		return 20
	case "CH", "HR", "LI", "LV":
		return 21
	case "BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA":
		return 22
	case "AE", "GI", "IL", "IQ", "OM", "SO", "TL":
		return 23
	case "AD", "CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG":
		return 24
	case "LY", "PT", "ST":
		return 25
	case "IS", "TR":
		return 26
	case "BI", "DJ", "FR", "GR", "IT", "MC", "MR", "SM":
		return 27
	case "AL", "AZ", "BY", "CY", "DO", "GT", "HU", "LB", "NI", "PL", "SV":
		return 28
	case "BR", "EG", "PS", "QA", "UA":
		return 29
	case "JO", "KW", "MU", "YE":
		return 30
	case "MT", "SC":
		return 31
	case "LC":
		return 32
	case "RU":
		return 33
	}
	return 0
}

// ValidLuhn reports whether s, digits with optional spaces or dashes
// between them, passes the Luhn check. It needs at least two digits.
func ValidLuhn(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		switch {
		case c == ' ' || c == '-':
			continue
		case !isDigit(c):
			return false
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n >= 2 && sum%10 == 0
}

// cardBrand reports whether digits (no separators) carry the prefix and
// length of a payment card brand: Visa, Mastercard, American Express,
// Discover, Diners Club, JCB, UnionPay or Maestro.
func cardBrand(d []byte) bool {
	n := len(d)
	if n < 14 || n > 19 {
		return false
	}
	p2 := prefixInt(d, 2)
	p3 := prefixInt(d, 3)
	p4 := prefixInt(d, 4)
	switch {
	case d[0] == '4': // Visa
		return n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65: // Discover
		return n == 16 || n == 19
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return n == 14 || n == 16
	case p2 == 62: // UnionPay
		return n >= 16
	case p4 == 5018, p4 == 5020, p4 == 5038, p4 == 5893, p4 == 6304, p4 == 6759, p4 >= 6761 && p4 <= 6763: // Maestro
		return n == 16 || n == 19
	}
	return false
}

func prefixInt(d []byte, n int) int {
	v := 0
	for i := 0; i < n && i < len(d); i++ {
		v = v*10 + int(d[i]-'0')
	}
	return v
}

// ValidNIR reports whether s is a French NIR (numéro d'inscription au
// répertoire, the social security number): 13 characters and a 2-digit
// key, spaces, dots or dashes between them ignored. It checks the sex
// digit (1, 2, or 7, 8 for temporary numbers), the month (01-12 or the
// INSEE special codes 20, 30-42, 50-99), a department other than 00 (2A
// and 2B for Corsica), commune and order numbers other than 000, and the
// key: 97 minus the number modulo 97, with 2A read as 19 and 2B as 18.
func ValidNIR(s string) bool {
	var b [15]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '.' || c == '-':
			continue
		case c == 'a' || c == 'b':
			c -= 'a' - 'A'
		case isDigit(c) || c == 'A' || c == 'B':
		default:
			return false
		}
		if n == len(b) {
			return false
		}
		b[n] = c
		n++
	}
	return n == len(b) && validNIRChars(&b)
}

func validNIRChars(b *[15]byte) bool {
	for i, c := range b {
		if !isDigit(c) && !(i == 6 && b[5] == '2' && (c == 'A' || c == 'B')) {
			return false
		}
	}
	switch b[0] {
	case '1', '2', '7', '8':
	default:
		return false
	}
	month := prefixInt(b[3:5], 2)
	if !(month >= 1 && month <= 12 || month == 20 || month >= 30 && month <= 42 || month >= 50) {
		return false
	}
	if b[5] == '0' && b[6] == '0' {
		return false
	}
	if prefixInt(b[7:10], 3) == 0 || prefixInt(b[10:13], 3) == 0 {
		return false
	}
	rem := 0
	for i := range 13 {
		var d int
		switch {
		case i == 5 && (b[6] == 'A' || b[6] == 'B'):
			d = 1
		case i == 6 && b[6] == 'A':
			d = 9
		case i == 6 && b[6] == 'B':
			d = 8
		default:
			d = int(b[i] - '0')
		}
		rem = (rem*10 + d) % 97
	}
	key := prefixInt(b[13:15], 2)
	return key >= 1 && key <= 97 && key == 97-rem
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isUpper(c) || isLower(c) }
