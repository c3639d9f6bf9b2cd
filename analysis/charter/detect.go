package charter

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Detectors of personal data in free text. Each one finds candidates with a
// byte scan, checks their format and checksum, and drops numbers that the
// words just before them name as something else (an order, an invoice, a
// parcel, a SIRET…). They favour precision: a missed IBAN is a miss; an
// order number flagged as a phone number every day would teach the
// community manager to ignore the queue.

// Match is where a detector found something, as byte offsets into the text.
type Match struct {
	Start, End int
}

// FindEmails appends the e-mail addresses of text to dst. Role addresses
// (contact@, presse@, support@…), fediverse handles (@user@instance), file
// names such as logo@2x.png and package versions such as lib@1.2 are not
// personal data and are skipped.
func FindEmails(text string, dst []Match) []Match {
	for at := 0; at < len(text); at++ {
		if text[at] != '@' {
			continue
		}
		start := at
		for start > 0 && isLocalChar(text[start-1]) {
			start--
		}
		if start == at || at-start > 64 || text[start] == '.' || text[at-1] == '.' {
			continue
		}
		if start > 0 && (text[start-1] == '@' || wordRuneBefore(text, start)) {
			continue
		}
		end := at + 1
		for end < len(text) && (isAlnum(text[end]) || text[end] == '.' || text[end] == '-') {
			end++
		}
		for end > at+1 && (text[end-1] == '.' || text[end-1] == '-') {
			end-- // sentence punctuation after the address
		}
		if end < len(text) && (text[end] == '@' || wordRuneAt(text, end)) {
			continue
		}
		if !validDomain(text[at+1:end]) || roleAddress(text[start:at]) {
			continue
		}
		dst = append(dst, Match{start, end})
		at = end - 1
	}
	return dst
}

func isLocalChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// validDomain wants at least two dot-separated labels of letters, digits
// and inner dashes, and an alphabetic top-level label that is not a file
// extension.
func validDomain(d string) bool {
	if len(d) < 4 || len(d) > 253 {
		return false
	}
	labels, start := 0, 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			continue
		}
		l := d[start:i]
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		labels++
		start = i + 1
	}
	if labels < 2 {
		return false
	}
	tld := d[strings.LastIndexByte(d, '.')+1:]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if isDigit(tld[i]) || tld[i] == '-' {
			return false
		}
	}
	return !fileExtension(tld)
}

func fileExtension(tld string) bool {
	var b [8]byte
	if len(tld) > len(b) {
		return false
	}
	l := lowerASCII(b[:0], tld)
	switch string(l) {
	case "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "pdf", "txt",
		"html", "htm", "css", "js", "ts", "json", "xml", "zip", "mp3", "mp4", "mov", "avi", "heic":
		return true
	}
	return false
}

// roleAddress reports local parts that name a service, not a person.
func roleAddress(local string) bool {
	var b [24]byte
	if len(local) > len(b) {
		return false
	}
	l := lowerASCII(b[:0], local)
	switch string(l) {
	case "contact", "contacts", "info", "infos", "information", "hello", "bonjour", "hi",
		"support", "help", "aide", "assistance", "sav", "service", "serviceclient", "service-client",
		"service.client", "customerservice", "customer-service", "care",
		"press", "presse", "media", "medias", "communication", "comm", "marketing",
		"sales", "ventes", "commercial", "jobs", "job", "careers", "carrieres", "recrutement",
		"recruitment", "recrutements", "talent", "rh", "hr",
		"admin", "webmaster", "postmaster", "hostmaster", "abuse", "security", "securite",
		"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "privacy", "dpo", "rgpd", "gdpr",
		"legal", "juridique", "billing", "facturation", "compta", "accounting", "office", "accueil",
		"reception", "team", "equipe", "newsletter", "news", "partenariats", "partners",
		"investors", "investisseurs", "ir", "events", "evenements":
		return true
	}
	return false
}

// FindCards appends payment card numbers to dst: 16 or 19 digits written
// in one block or by four, American Express 4-6-5 or in one block, Diners
// 4-6-4, with a known brand prefix and a valid Luhn check. SIRET numbers
// (14 digits, Luhn-valid) and numbers named as orders are skipped.
func FindCards(text string, dst []Match) []Match {
	for i := 0; i < len(text); i++ {
		if !isDigit(text[i]) {
			continue
		}
		if i > 0 && (isAlnum(text[i-1]) || text[i-1] == '+' || wordRuneBefore(text, i)) {
			continue
		}
		run, ok := scanDigits(text, i, false)
		if ok && !run.trunk && cardGrouping(&run) && cardBrand(run.d[:run.digits]) &&
			ValidLuhn(string(run.d[:run.digits])) && !referenceBefore(text, i) {
			dst = append(dst, Match{i, run.end})
		}
		if run.end > i {
			i = run.end - 1
		}
	}
	return dst
}

func cardGrouping(r *digitRun) bool {
	switch r.digits {
	case 14:
		return r.groupsAre(4, 6, 4)
	case 15:
		return r.groupsAre(15) || r.groupsAre(4, 6, 5)
	case 16:
		return r.groupsAre(16) || r.groupsAre(4, 4, 4, 4)
	case 19:
		return r.groupsAre(19) || r.groupsAre(4, 4, 4, 4, 3)
	}
	return false
}

// FindIBANs appends the IBANs of text to dst, written in one block or by
// groups (FR76 3000 6000 0112 3456 7890 189), upper or lower case, with a
// valid country length and mod-97 check.
func FindIBANs(text string, dst []Match) []Match {
	for i := 0; i+4 <= len(text); i++ {
		a, b := upperASCII(text[i]), upperASCII(text[i+1])
		if !isUpper(a) || !isUpper(b) || !isDigit(text[i+2]) || !isDigit(text[i+3]) {
			continue
		}
		if i > 0 && (isAlnum(text[i-1]) || wordRuneBefore(text, i)) {
			continue
		}
		want := ibanLength(a, b)
		if want == 0 {
			continue
		}
		var chars [34]byte
		n, j := 0, i
		for j < len(text) && n < want {
			c := text[j]
			if isAlnum(c) {
				chars[n] = upperASCII(c)
				n++
				j++
				continue
			}
			// One space or dash between two characters.
			if (c == ' ' || c == '-') && j+1 < len(text) && isAlnum(text[j+1]) && n > 0 {
				j++
				continue
			}
			break
		}
		if n != want || (j < len(text) && (isAlnum(text[j]) || wordRuneAt(text, j))) {
			continue
		}
		if validIBANChars(chars[:n]) {
			dst = append(dst, Match{i, j})
			i = j - 1
		}
	}
	return dst
}

// FindNIRs appends French NIRs (numéros de sécurité sociale) to dst,
// written in one block (185057800608491) or by their parts
// (1 85 05 78 006 084 91), Corsica (2A, 2B) included, with a valid key.
func FindNIRs(text string, dst []Match) []Match {
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '1', '2', '7', '8':
		default:
			continue
		}
		if i > 0 && (isAlnum(text[i-1]) || text[i-1] == '+' || wordRuneBefore(text, i)) {
			continue
		}
		if end, ok := scanNIR(text, i); ok && !referenceBefore(text, i) {
			dst = append(dst, Match{i, end})
			i = end - 1
		}
	}
	return dst
}

// nirLayouts are the ways a NIR is written: in one block, by its parts
// (sex, year, month, department, commune, order, key), or key apart.
var nirLayouts = [...][]int{{15}, {1, 2, 2, 2, 3, 3, 2}, {13, 2}}

func scanNIR(text string, start int) (int, bool) {
	for _, layout := range nirLayouts {
		var b [15]byte
		n, j := 0, start
		var sep byte
		ok := true
		for g, size := range layout {
			if g > 0 {
				if j >= len(text) || !isSeparator(text[j]) || (sep != 0 && text[j] != sep) {
					ok = false
					break
				}
				sep = text[j]
				j++
			}
			for range size {
				if j >= len(text) {
					ok = false
					break
				}
				c := text[j]
				if n == 6 && (c == 'a' || c == 'b') {
					c -= 'a' - 'A'
				}
				if !isDigit(c) && !(n == 6 && (c == 'A' || c == 'B')) {
					ok = false
					break
				}
				b[n] = c
				n++
				j++
			}
			if !ok {
				break
			}
		}
		if !ok || n != 15 {
			continue
		}
		if j < len(text) && (isAlnum(text[j]) || wordRuneAt(text, j)) {
			continue
		}
		if j+1 < len(text) && isSeparator(text[j]) && isDigit(text[j+1]) && len(layout) > 1 {
			continue // more groups follow: a longer number
		}
		if validNIRChars(&b) {
			return j, true
		}
	}
	return 0, false
}

func isSeparator(c byte) bool { return c == ' ' || c == '.' || c == '-' }

// digitRun is a number written as digit groups joined by single
// separators: "06 12 34 56 78", "4532-0151-1283-0366", "+33 (0)6 12…".
type digitRun struct {
	end     int
	d       [20]byte // the digits, without separators
	digits  int
	groups  [8]int
	ngroups int
	trunk   bool // a "(0)" after the first group, as in +33 (0)6…
}

func (r *digitRun) groupsAre(sizes ...int) bool {
	if r.ngroups != len(sizes) {
		return false
	}
	for i, s := range sizes {
		if r.groups[i] != s {
			return false
		}
	}
	return true
}

// scanDigits reads a digit run from text[i:]. It fails on runs longer than
// 20 digits or 8 groups, on mixed separators, and on decimals (a comma or
// a dot followed by digits after the run). With trunk, "(0)" is allowed
// once after the first group. The returned end is usable even on failure.
func scanDigits(text string, i int, trunk bool) (digitRun, bool) {
	var r digitRun
	var sep string
	j := i
	for {
		size := 0
		for j < len(text) && isDigit(text[j]) {
			if r.digits == len(r.d) {
				r.end = j
				return r, false
			}
			r.d[r.digits] = text[j]
			r.digits++
			size++
			j++
		}
		if size == 0 {
			break
		}
		if r.ngroups == len(r.groups) {
			r.end = j
			return r, false
		}
		r.groups[r.ngroups] = size
		r.ngroups++
		r.end = j
		if trunk && r.ngroups == 1 && !r.trunk {
			k := j
			if k < len(text) && text[k] == ' ' {
				k++
			}
			if k+3 <= len(text) && text[k:k+3] == "(0)" {
				k += 3
				if k < len(text) && text[k] == ' ' {
					k++
				}
				if k < len(text) && isDigit(text[k]) {
					r.trunk = true
					j = k
					continue
				}
			}
		}
		s := separatorAt(text, j)
		if s == "" || j+len(s) >= len(text) || !isDigit(text[j+len(s)]) {
			break
		}
		if sep != "" && s != sep {
			return r, false
		}
		sep = s
		j += len(s)
	}
	if r.digits == 0 {
		return r, false
	}
	// "0612345678,50 €" or "12.06.2024" style continuations are not numbers we want.
	if r.end+1 < len(text) && (text[r.end] == ',' || text[r.end] == '/') && isDigit(text[r.end+1]) {
		return r, false
	}
	if r.end < len(text) && (isAlnum(text[r.end]) || wordRuneAt(text, r.end)) {
		return r, false
	}
	return r, true
}

// separatorAt returns the group separator at text[j:]: a space, a dot, a
// dash, or a no-break space (U+00A0, U+202F).
func separatorAt(text string, j int) string {
	if j >= len(text) {
		return ""
	}
	switch text[j] {
	case ' ', '.', '-':
		return text[j : j+1]
	case 0xC2:
		if j+1 < len(text) && text[j+1] == 0xA0 {
			return text[j : j+2]
		}
	case 0xE2:
		if j+2 < len(text) && text[j+1] == 0x80 && text[j+2] == 0xAF {
			return text[j : j+3]
		}
	}
	return ""
}

// referenceBefore reports a number that the words just before it name as
// something other than a phone or an account: "commande n° 0612345678",
// "order #4532…", "SIRET 732 829 320 00074". Phone words win: in "tél
// (réf. dossier) : 06…" the number stays a phone.
func referenceBefore(text string, start int) bool {
	j := start
	for j > 0 && text[j-1] == ' ' {
		j--
	}
	if j > 0 && text[j-1] == '#' {
		return true
	}
	var buf [24]byte
	reference := false
	for range 4 {
		var w []byte
		w, j = prevWord(buf[:0], text, j)
		if len(w) == 0 {
			break
		}
		switch string(w) {
		case "tel", "telephone", "phone", "portable", "mobile", "gsm", "cell", "appelle", "appelez",
			"appeler", "call", "whatsapp", "sms", "joindre", "joignable", "fax", "iban", "rib", "carte", "card", "cb",
			"secu", "securite", "nir", "insee":
			return false
		case "commande", "commandes", "cde", "cmd", "order", "orders", "ref", "reference", "references", "facture",
			"invoice", "suivi", "tracking", "colis", "parcel", "package", "ticket", "id", "siret",
			"siren", "tva", "vat", "contrat", "contract", "lot", "serie", "serial", "transaction", "sku",
			"isbn", "ean", "rcs", "badge", "matricule", "reservation", "booking", "confirmation", "pnr", "vol",
			"flight", "n", "no", "num", "nr", "code", "article", "produit", "product", "licence", "license",
			"bordereau", "expedition", "shipment", "awb", "imei", "loto", "tirage", "euromillions", "grille":
			reference = true
		}
	}
	return reference
}

// prevWord returns the folded ASCII word that ends before j (skipping
// punctuation) and where it starts. Non-ASCII letters are folded through
// appendFolded; words longer than buf are returned empty.
func prevWord(buf []byte, text string, j int) ([]byte, int) {
	skipped := 0
	for j > 0 && skipped < 8 {
		r, size := utf8.DecodeLastRuneInString(text[:j])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			break
		}
		j -= size
		skipped++
	}
	end := j
	for j > 0 {
		r, size := utf8.DecodeLastRuneInString(text[:j])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		j -= size
		if end-j > cap(buf) {
			return buf[:0], j
		}
	}
	w := buf[:0]
	for _, r := range text[j:end] {
		if r < utf8.RuneSelf {
			w = append(w, lowerByte(byte(r)))
		} else {
			w = appendFolded(w, r)
		}
	}
	return w, j
}

// nextWord returns the folded word at the start of s.
func nextWord(buf []byte, s string) []byte {
	w := buf[:0]
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		if len(w)+4 > cap(buf) {
			return buf[:0]
		}
		if r < utf8.RuneSelf {
			w = append(w, lowerByte(byte(r)))
		} else {
			w = appendFolded(w, r)
		}
	}
	return w
}

// wordRuneBefore reports a non-ASCII letter or digit just before i, as in
// "é0612345678"; ASCII neighbours are checked by the callers.
func wordRuneBefore(text string, i int) bool {
	if i == 0 || text[i-1] < utf8.RuneSelf {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// wordRuneAt reports a letter or digit, ASCII or not, at text[i].
func wordRuneAt(text string, i int) bool {
	if i >= len(text) {
		return false
	}
	if text[i] < utf8.RuneSelf {
		return isAlnum(text[i])
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func upperASCII(c byte) byte {
	if isLower(c) {
		return c - ('a' - 'A')
	}
	return c
}

func lowerByte(c byte) byte {
	if isUpper(c) {
		return c + ('a' - 'A')
	}
	return c
}

func lowerASCII(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		dst = append(dst, lowerByte(s[i]))
	}
	return dst
}
