package charter

import (
	"strings"
	"testing"
	"unicode/utf8"
)

type finder struct {
	name string
	find func(string, []Match) []Match
}

var finders = []finder{
	{ValidatorEmail, FindEmails},
	{ValidatorPhone, FindPhones},
	{ValidatorIBAN, FindIBANs},
	{ValidatorCard, FindCards},
	{ValidatorNIR, FindNIRs},
}

func matchedTexts(text string, ms []Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = text[m.Start:m.End]
	}
	return out
}

func TestDetectorsFind(t *testing.T) {
	tests := []struct {
		validator string
		text      string
		want      string // the one match expected
	}{
		{ValidatorEmail, "écrivez à jean.dupont@gmail.com.", "jean.dupont@gmail.com"},
		{ValidatorEmail, "mail: Marie_L+vigie@sub.example.co.uk, merci", "Marie_L+vigie@sub.example.co.uk"},
		{ValidatorEmail, "(j.martin@protonmail.com)", "j.martin@protonmail.com"},
		{ValidatorEmail, "mailto:paul@acme.fr", "paul@acme.fr"},

		{ValidatorPhone, "appelle au 06 12 34 56 78 stp", "06 12 34 56 78"},
		{ValidatorPhone, "06.12.34.56.78", "06.12.34.56.78"},
		{ValidatorPhone, "tél: 06-12-34-56-78.", "06-12-34-56-78"},
		{ValidatorPhone, "0612345678", "0612345678"},
		{ValidatorPhone, "01 42 68 53 00", "01 42 68 53 00"},
		{ValidatorPhone, "09 72 10 20 30", "09 72 10 20 30"},
		{ValidatorPhone, "+33 6 12 34 56 78", "+33 6 12 34 56 78"},
		{ValidatorPhone, "+33612345678", "+33612345678"},
		{ValidatorPhone, "+33 612345678", "+33 612345678"},
		{ValidatorPhone, "+33 (0)6 12 34 56 78", "+33 (0)6 12 34 56 78"},
		{ValidatorPhone, "0033 6 12 34 56 78", "0033 6 12 34 56 78"},
		{ValidatorPhone, "06\u00a012\u00a034\u00a056\u00a078", "06\u00a012\u00a034\u00a056\u00a078"},
		{ValidatorPhone, "+44 20 7946 0958", "+44 20 7946 0958"},
		{ValidatorPhone, "+1 415 555 2671", "+1 415 555 2671"},
		{ValidatorPhone, "+14155552671", "+14155552671"},
		{ValidatorPhone, "+49 151 23456789", "+49 151 23456789"},
		{ValidatorPhone, "+32 470 12 34 56", "+32 470 12 34 56"},
		{ValidatorPhone, "+212 6 12 34 56 78", "+212 6 12 34 56 78"},
		{ValidatorPhone, "tél. commande : 06 12 34 56 78", "06 12 34 56 78"}, // a phone word wins

		{ValidatorIBAN, "IBAN FR76 3000 6000 0112 3456 7890 189 merci", "FR76 3000 6000 0112 3456 7890 189"},
		{ValidatorIBAN, "FR1420041010050500013M02606", "FR1420041010050500013M02606"},
		{ValidatorIBAN, "iban: gb82west12345698765432", "gb82west12345698765432"},
		{ValidatorIBAN, "BE68 5390 0754 7034.", "BE68 5390 0754 7034"},
		{ValidatorIBAN, "DE89-3704-0044-0532-0130-00", "DE89-3704-0044-0532-0130-00"},

		{ValidatorCard, "carte 4532 0151 1283 0366 exp 12/27", "4532 0151 1283 0366"},
		{ValidatorCard, "4111111111111111", "4111111111111111"},
		{ValidatorCard, "5555-5555-5555-4444", "5555-5555-5555-4444"},
		{ValidatorCard, "amex 3782 822463 10005", "3782 822463 10005"},
		{ValidatorCard, "378282246310005", "378282246310005"},
		{ValidatorCard, "diners 3056 930902 5904", "3056 930902 5904"},
		{ValidatorCard, "2223 0031 2200 3222", "2223 0031 2200 3222"},
		{ValidatorCard, "carte n° 4532 0151 1283 0366", "4532 0151 1283 0366"},

		{ValidatorNIR, "NIR 1 85 05 78 006 084 91.", "1 85 05 78 006 084 91"},
		{ValidatorNIR, "185057800608491", "185057800608491"},
		{ValidatorNIR, "2 90 02 2A 123 456 78", "2 90 02 2A 123 456 78"},
		{ValidatorNIR, "290022A12345678", "290022A12345678"},
		{ValidatorNIR, "1 78 11 2B 045 012 82", "1 78 11 2B 045 012 82"},
		{ValidatorNIR, "1850578006084 91", "1850578006084 91"},
		{ValidatorNIR, "n° sécu : 1.85.05.78.006.084.91", "1.85.05.78.006.084.91"},
	}
	for _, tt := range tests {
		f := validatorByName(tt.validator)
		got := matchedTexts(tt.text, f.find(tt.text, nil))
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s(%q) = %q, want [%q]", tt.validator, tt.text, got, tt.want)
		}
	}
}

// nearMisses look like personal data and are not. No detector may fire on
// any of them: zero false positives is a requirement.
var nearMisses = []string{
	// order numbers, invoices, parcels, tickets
	"Commande n° 0612345678 toujours pas livrée",
	"commande 0612345678",
	"N° de commande : 06 12 34 56 78",
	"order #0612345678",
	"Order #4532015112830366 shipped",
	"Order id 4539148803436468 never arrived",
	"Numéro de commande : 4970 1012 3456 7899",
	"réf. 0712345678",
	"Référence 0712345678",
	"facture 0612345678",
	"Invoice 1234567812345678 is overdue",
	"ticket 0712345678",
	"Le badge 0612345678 ne marche plus",
	"suivi colis 6A12345678901",
	"Tracking number 1Z999AA10123456784",
	"tracking 0612345678",
	"colis 8R00012345678",
	"Transaction 4532015112830366 refusée",
	"IMEI 490154203237518",
	"#0612345678",
	// 16-digit identifiers failing Luhn, or without a card brand
	"1234567812345678",
	"4532015112830367",
	"9234567812345670",
	"8000 0000 0000 0002",
	"1234 5678 1234 5670",
	// company identifiers
	"SIRET 732 829 320 00074",
	"73282932000074",
	"SIREN 732 829 320",
	"732829320",
	"RCS Paris 732 829 320",
	"TVA FR40303265045",
	"FR40303265045",
	// dates, times, timestamps, versions, addresses
	"06/12/2024",
	"le 06.12.2024 à 10:30",
	"2024-06-12 10:30:00",
	"2024-06-12T10:30:00Z",
	"1700000000",
	"1700000000123",
	"Version 2.4.1.0612",
	"192.168.10.12",
	"10.0.0.1/24",
	"75008 Paris",
	"12 rue de Rivoli",
	"ISBN 978-2-07-036822-8",
	"EAN 3017620422003",
	"EAN-13 4006381333931",
	"N° SIRET : 73282932000074",
	"GPS 48.8566, 2.3522",
	"2024/06/12 10:30:45",
	"ref 4532 0151 1283 0366",
	"+33 1 23",
	// prices, amounts and counts
	"12,50 €",
	"1 299,99 €",
	"0612345678,50 €",
	"+250 000 000 vues",
	"+1500 abonnés",
	"+15000000 views",
	"+33 %",
	"+1 234 567 890",
	"1 234 567 890 requêtes",
	"4 532,01 €",
	// phone-shaped, but not personal numbers
	"08 00 12 34 56",
	"0800123456",
	"+33 8 00 12 34 56",
	"06 12 34 56",
	"06 12 34 56 78 90",
	"06 12.34-56 78",
	"3 12 34 56 78",
	"+99 1234 5678",
	"+1 555 0100",
	"tirage du loto 06 12 34 45 49",
	// IBAN-shaped
	"FR76 3000 6000 0112 3456 7890 188",
	"FR76 3000 6000 0112 3456 7890",
	"FR76 3000 6000 0112 3456 7890 1891",
	"XX76 3000 6000 0112 3456 7890 189",
	"AB12",
	// NIR-shaped
	"1 85 05 78 006 084 92",
	"1 85 13 78 006 084 25",
	"1 85 05 00 006 084 63",
	"1 85 05 78 000 084 77",
	"3 85 05 78 006 084 88",
	"185057800608492",
	"1 85 05 78 006 084 91 22",
	// e-mail-shaped
	"@acme",
	"RDV @ 14h",
	"contact@acme.fr",
	"presse@acme.fr",
	"Support@Acme.com",
	"no-reply@acme.com",
	"@julie@mastodon.social",
	"logo@2x.png",
	"react@18.2.0",
	"lodash@4.17.21",
	"user@localhost",
	"a@b",
	"x@y.z",
	"jean.dupont@",
	"@jean.dupont",
	"jean..dupont@",
	"foo@-bar.com",
}

func TestDetectorsNearMisses(t *testing.T) {
	for _, text := range nearMisses {
		for _, f := range finders {
			if got := f.find(text, nil); len(got) > 0 {
				t.Errorf("%s fired on near miss %q: %q", f.name, text, matchedTexts(text, got))
			}
		}
	}
}

func TestMaskSpan(t *testing.T) {
	tests := []struct {
		validator string
		in, want  string
	}{
		{ValidatorIBAN, "FR76 3000 6000 0112 3456 7890 189", "FR76 **** **** **** **** **** 189"},
		{ValidatorPhone, "06 12 34 56 78", "06 ** ** ** 78"},
		{ValidatorPhone, "+33 6 12 34 56 78", "+33 * ** ** ** 78"},
		{ValidatorCard, "4532 0151 1283 0366", "4532 **** **** 0366"},
		{ValidatorNIR, "1 85 05 78 006 084 91", "1 ** ** ** *** *** 91"},
		{ValidatorEmail, "jean.dupont@gmail.com", "j***.******@gmail.com"},
		{"", "confidential", "co********al"},
		{"", "secret", "******"}, // showing 4 of 6 would show too much
		{"", "abc", "***"},
		{"", "éléonore", "él****re"},
	}
	for _, tt := range tests {
		var v *validatorSpec
		if tt.validator != "" {
			v = validatorByName(tt.validator)
		}
		if got := maskSpan(tt.in, v); got != tt.want {
			t.Errorf("maskSpan(%q, %s) = %q, want %q", tt.in, tt.validator, got, tt.want)
		}
	}
}

func FuzzDetectors(f *testing.F) {
	for _, s := range append(nearMisses,
		"06 12 34 56 78", "+33 (0)6 12 34 56 78", "jean@acme.fr", "FR76 3000 6000 0112 3456 7890 189",
		"4532 0151 1283 0366", "2 90 02 2A 123 456 78", "+", "(0)", "@", "\xff@\xfe.fr") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var st textStats
		tokenize(text, nil, nil, &st)
		for _, fd := range finders {
			prev := -1
			found := fd.find(text, nil)
			// The cheap gate that skips a validator must never skip a match.
			if len(found) > 0 && !validatorByName(fd.name).gate(&st) {
				t.Fatalf("%s finds %q but its gate is closed (%+v)", fd.name, matchedTexts(text, found), st)
			}
			for _, m := range found {
				if m.Start < 0 || m.End > len(text) || m.Start >= m.End || m.Start < prev {
					t.Fatalf("%s(%q): bad match %+v", fd.name, text, m)
				}
				prev = m.End
				v := validatorByName(fd.name)
				masked := maskSpan(text[m.Start:m.End], v)
				if utf8.RuneCountInString(masked) != utf8.RuneCountInString(text[m.Start:m.End]) {
					t.Fatalf("mask changed the length of %q: %q", text[m.Start:m.End], masked)
				}
				// What a checksum validator found passes that checksum.
				switch fd.name {
				case ValidatorIBAN:
					if !ValidIBAN(text[m.Start:m.End]) {
						t.Fatalf("FindIBANs found %q, ValidIBAN says no", text[m.Start:m.End])
					}
				case ValidatorNIR:
					if !ValidNIR(text[m.Start:m.End]) {
						t.Fatalf("FindNIRs found %q, ValidNIR says no", text[m.Start:m.End])
					}
				case ValidatorCard:
					if !ValidLuhn(strings.NewReplacer(" ", "", "-", "").Replace(text[m.Start:m.End])) {
						t.Fatalf("FindCards found %q, Luhn says no", text[m.Start:m.End])
					}
				}
			}
		}
	})
}
