package charter

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestValidIBAN(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		// Examples of the SWIFT IBAN registry and of national banks.
		{"FR1420041010050500013M02606", true},
		{"FR76 3000 6000 0112 3456 7890 189", true},
		{"fr76 3000 6000 0112 3456 7890 189", true},
		{"FR76-3000-6000-0112-3456-7890-189", true},
		{"DE89370400440532013000", true},
		{"GB82 WEST 1234 5698 7654 32", true},
		{"BE68539007547034", true},
		{"CH9300762011623852957", true},
		{"ES9121000418450200051332", true},
		{"IT60X0542811101000000123456", true},
		{"NL91ABNA0417164300", true},
		{"LU280019400644750000", true},
		{"MC5811222000010123456789030", true},
		{"PT50000201231234567890154", true},

		{"FR76 3000 6000 0112 3456 7890 188", false}, // last digit changed
		{"FR76 3000 6000 0112 3456 7890 198", false}, // two digits swapped
		{"FR7630006000011234567890", false},          // too short for FR
		{"FR763000600001123456789018900", false},     // too long for FR
		{"XX76 3000 6000 0112 3456 7890 189", false}, // unknown country
		{"FR40303265045", false},                     // French VAT number
		{"FR00 3000 6000 0112 3456 7890 189", false}, // check digits 00
		{"FR76 3000 6000 0112 3456 7890 18!", false},
		{"", false},
		{"FR", false},
		{"7630006000011234567890189FR", false},
		{strings.Repeat("A", 100), false},
	}
	for _, tt := range tests {
		if got := ValidIBAN(tt.in); got != tt.want {
			t.Errorf("ValidIBAN(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestValidIBANAgainstBigInt checks the incremental mod-97 against an
// independent computation on random French IBANs.
func TestValidIBANAgainstBigInt(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var bban strings.Builder
		for range 23 {
			bban.WriteByte(byte('0' + rng.IntN(10)))
		}
		check := rng.IntN(99) + 1
		iban := fmt.Sprintf("FR%02d%s", check, bban.String())
		n, _ := new(big.Int).SetString(bban.String()+"1527"+iban[2:4], 10) // F=15, R=27
		want := new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1 && check >= 2 && check <= 98
		if got := ValidIBAN(iban); got != want {
			t.Fatalf("ValidIBAN(%q) = %v, big.Int says %v", iban, got, want)
		}
	}
}

func TestValidLuhn(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"4111111111111111", true},
		{"4532 0151 1283 0366", true},
		{"5555-5555-5555-4444", true},
		{"378282246310005", true},
		{"30569309025904", true},
		{"6011111111111117", true},
		{"3530111333300000", true},
		{"2223003122003222", true},
		{"732829320", true},      // SIREN numbers are Luhn-valid too
		{"73282932000074", true}, // and SIRET numbers
		{"4532015112830367", false},
		{"1234567812345678", false},
		{"4111 1111 1111 1112", false},
		{"0", false},
		{"", false},
		{"4111a111", false},
		{"00", true},
	}
	for _, tt := range tests {
		if got := ValidLuhn(tt.in); got != tt.want {
			t.Errorf("ValidLuhn(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidNIR(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"1 85 05 78 006 084 91", true},
		{"185057800608491", true},
		{"2 94 10 23 012 345 45", true},
		{"1 72 05 75 112 233 02", true},
		{"2 88 07 99 350 123 58", true}, // born abroad (99)
		{"2 90 02 2A 123 456 78", true}, // Corse-du-Sud
		{"2 90 02 2a 123 456 78", true},
		{"1 78 11 2B 045 012 82", true}, // Haute-Corse
		{"1.85.05.78.006.084.91", true},
		{"1 85 99 78 006 084 43", true}, // INSEE special month code

		{"1 85 05 78 006 084 92", false}, // wrong key
		{"1 85 13 78 006 084 25", false}, // month 13, key computed for it
		{"1 85 05 00 006 084 63", false}, // department 00
		{"1 85 05 78 000 084 77", false}, // commune 000
		{"1 85 05 78 006 000 78", false}, // order 000
		{"3 85 05 78 006 084 88", false}, // sex digit 3
		{"2 90 02 2C 123 456 78", false}, // no such Corsican department
		{"2 90 02 3A 123 456 78", false},
		{"1850578006084", false}, // no key
		{"18505780060849100", false},
		{"", false},
		{"1 85 05 78 006 084 9x", false},
	}
	for _, tt := range tests {
		if got := ValidNIR(tt.in); got != tt.want {
			t.Errorf("ValidNIR(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestValidNIRKey checks the key against an independent big.Int
// computation, Corsica included.
func TestValidNIRKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	depts := []string{"01", "13", "2A", "2B", "59", "75", "99"}
	for range 2000 {
		dept := depts[rng.IntN(len(depts))]
		body := fmt.Sprintf("%d%02d%02d%s%03d%03d", 1+rng.IntN(2), rng.IntN(100), 1+rng.IntN(12), dept, 1+rng.IntN(990), 1+rng.IntN(999))
		numeric := strings.NewReplacer("2A", "19", "2B", "18").Replace(body)
		n, _ := new(big.Int).SetString(numeric, 10)
		key := 97 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
		if !ValidNIR(fmt.Sprintf("%s%02d", body, key)) {
			t.Fatalf("ValidNIR(%s%02d) = false, want true", body, key)
		}
		if ValidNIR(fmt.Sprintf("%s%02d", body, key%97+1)) {
			t.Fatalf("ValidNIR(%s%02d) = true with a wrong key", body, key%97+1)
		}
	}
}

func FuzzValidators(f *testing.F) {
	for _, s := range []string{"FR76 3000 6000 0112 3456 7890 189", "4532 0151 1283 0366", "2 90 02 2A 123 456 78", "185057800608491", "", "\xff\xfe", "2A2B2A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		compact := strings.NewReplacer(" ", "", "-", "").Replace(s)
		if ValidIBAN(s) {
			if !ValidIBAN(compact) || !ValidIBAN(strings.ToLower(s)) {
				t.Errorf("ValidIBAN(%q) depends on separators or case", s)
			}
			if l := ibanLength(upperASCII(compact[0]), upperASCII(compact[1])); l != len(compact) {
				t.Errorf("ValidIBAN(%q): length %d, country wants %d", s, len(compact), l)
			}
		}
		if ValidLuhn(s) {
			if !ValidLuhn(compact) {
				t.Errorf("ValidLuhn(%q) depends on separators", s)
			}
			// Changing one digit always breaks the Luhn check.
			last := compact[len(compact)-1]
			changed := compact[:len(compact)-1] + string(rune('0'+(last-'0'+1)%10))
			if ValidLuhn(changed) {
				t.Errorf("ValidLuhn(%q) and ValidLuhn(%q) both true", compact, changed)
			}
		}
		if ValidNIR(s) {
			n := strings.NewReplacer(" ", "", "-", "", ".", "").Replace(s)
			if len(n) != 15 {
				t.Errorf("ValidNIR(%q): %d characters", s, len(n))
			}
		}
	})
}
