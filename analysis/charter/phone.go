package charter

import "strings"

// FindPhones appends the phone numbers of text to dst: French numbers
// written 06 12 34 56 78, 06.12.34.56.78, 06-12-34-56-78, 0612345678,
// +33 6 12 34 56 78, +33 (0)6 12 34 56 78 or 0033 6 12 34 56 78, and
// international E.164 numbers (+44 20 7946 0958). French service numbers
// (08…), numbers written as thousands (+250 000 000), numbers followed by
// a unit (+1500000 vues) and numbers named as orders, invoices, parcels…
// are skipped.
func FindPhones(text string, dst []Match) []Match {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '+' && !isDigit(c) {
			continue
		}
		if i > 0 && (isAlnum(text[i-1]) || text[i-1] == '+' || wordRuneBefore(text, i)) {
			continue
		}
		intl := c == '+'
		from := i
		if intl {
			from++
		}
		run, ok := scanDigits(text, from, intl)
		if !ok {
			if run.end > i {
				i = run.end - 1
			}
			continue
		}
		var phone bool
		switch {
		case intl:
			phone = phoneIntl(&run)
		case run.digits >= 4 && string(run.d[:4]) == "0033":
			phone = phoneFR(&run, 4)
		default:
			phone = phoneDomestic(&run)
		}
		if phone && !followedByUnit(text, run.end) && !referenceBefore(text, i) {
			dst = append(dst, Match{i, run.end})
		}
		i = run.end - 1
	}
	return dst
}

// phoneDomestic accepts 0X XX XX XX XX and 0XXXXXXXXX with X in 1-7 or 9.
func phoneDomestic(r *digitRun) bool {
	if r.digits != 10 || r.d[0] != '0' || !frenchPrefix(r.d[1]) || r.trunk {
		return false
	}
	return r.groupsAre(10) || r.groupsAre(2, 2, 2, 2, 2)
}

// phoneFR checks a French number after its country code (+33 or 0033):
// nine digits, grouped 6 12 34 56 78 or not at all.
func phoneFR(r *digitRun, cc int) bool {
	if r.digits-cc != 9 || !frenchPrefix(r.d[cc]) {
		return false
	}
	switch cc {
	case 2: // +33…
		return r.groupsAre(11) || r.groupsAre(2, 1, 2, 2, 2, 2) || r.groupsAre(2, 9)
	case 4: // 0033…
		return r.groupsAre(13) || r.groupsAre(4, 1, 2, 2, 2, 2) || r.groupsAre(2, 2, 1, 2, 2, 2, 2)
	}
	return false
}

func frenchPrefix(c byte) bool { return c >= '1' && c <= '7' || c == '9' }

func phoneIntl(r *digitRun) bool {
	if r.digits >= 2 && string(r.d[:2]) == "33" {
		return phoneFR(r, 2)
	}
	if r.digits < 8 || r.digits > 15 {
		return false
	}
	cc := countryCode(r.d[:r.digits])
	if cc == 0 {
		return false
	}
	lo, hi := nationalLength(string(r.d[:cc]))
	if n := r.digits - cc; n < lo || n > hi {
		return false
	}
	// "+250 000 000" is a count written with thousands separators.
	if r.ngroups >= 3 && r.groups[0] <= 3 {
		thousands := true
		for _, g := range r.groups[1:r.ngroups] {
			thousands = thousands && g == 3
		}
		if thousands {
			return false
		}
	}
	zeros := 0
	for _, c := range r.d[cc:r.digits] {
		if c == '0' {
			zeros++
		}
	}
	return zeros < r.digits-cc-1
}

// countryCode returns the length of the E.164 country calling code that
// starts d, or 0 when none does.
func countryCode(d []byte) int {
	switch d[0] {
	case '1', '7':
		return 1
	case '0':
		return 0
	}
	switch prefixInt(d, 2) {
	case 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49,
		51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86,
		90, 91, 92, 93, 94, 95, 98:
		return 2
	}
	p := prefixInt(d, 3)
	switch {
	case p == 211, p == 212, p == 213, p == 216, p == 218, p >= 220 && p <= 258,
		p >= 260 && p <= 269, p == 290, p == 291, p >= 297 && p <= 299,
		p >= 350 && p <= 359, p >= 370 && p <= 383, p >= 385 && p <= 387, p == 389,
		p == 420, p == 421, p == 423, p >= 500 && p <= 509, p >= 590 && p <= 599,
		p == 670, p >= 672 && p <= 683, p >= 685 && p <= 692,
		p == 850, p == 852, p == 853, p == 855, p == 856, p == 880, p == 886,
		p >= 960 && p <= 968, p >= 970 && p <= 977, p >= 992 && p <= 996, p == 998:
		return 3
	}
	return 0
}

// nationalLength bounds the digits after a country code.
func nationalLength(cc string) (lo, hi int) {
	switch cc {
	case "1", "7":
		return 10, 10
	case "44", "81":
		return 9, 10
	case "32", "377":
		return 8, 9
	case "31", "34", "41", "212", "221", "351", "590", "594", "596", "262":
		return 9, 9
	case "216":
		return 8, 8
	case "225", "91", "52":
		return 10, 10
	case "49":
		return 6, 13
	case "39", "352":
		return 6, 11
	case "86", "55":
		return 10, 11
	}
	return 7, 12
}

// followedByUnit reports a count or an amount: "+1500000 vues", "… €".
func followedByUnit(text string, end int) bool {
	j := end
	if j < len(text) && text[j] == ' ' {
		j++
	} else if s := separatorAt(text, j); len(s) > 1 {
		j += len(s)
	}
	if j >= len(text) {
		return false
	}
	if text[j] == '%' || text[j] == '$' || strings.HasPrefix(text[j:], "€") || strings.HasPrefix(text[j:], "£") {
		return true
	}
	var buf [16]byte
	w := nextWord(buf[:0], text[j:])
	switch string(w) {
	case "k", "m", "md", "mds", "mn", "bn", "million", "millions", "milliard", "milliards", "billion", "billions",
		"vues", "views", "abonnes", "followers", "likes", "personnes", "people", "users", "utilisateurs",
		"euros", "eur", "dollars", "usd", "points", "pts", "clients", "customers", "salaries", "employees",
		"emplois", "jobs", "visiteurs", "visitors", "downloads", "telechargements", "fois", "times", "ans", "years":
		return true
	}
	return false
}
