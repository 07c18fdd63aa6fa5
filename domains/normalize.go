package domains

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

const (
	maxNameLen  = 253 // RFC 1035, without the trailing dot
	maxLabelLen = 63
	maxInputLen = 1024 // refuse absurd input before any IDNA work
)

// idnaProfile is UTS #46 non-transitional processing with the strict checks of
// IDNA2008: mapping for lookup (case folding, width), the Bidi rule, label
// validation, hyphen and joiner rules, STD3 ASCII rules and DNS lengths. A
// *idna.Profile is immutable and safe for concurrent use.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.ValidateLabels(true),
	idna.CheckHyphens(true),
	idna.CheckJoiners(true),
	idna.StrictDomainName(true),
	idna.VerifyDNSLength(true),
)

func invalidDomain(name, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidDomain, truncate(name, 80), fmt.Sprintf(format, args...))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// Normalize returns the canonical form of a domain name, the form the Store
// keeps and compares byte for byte:
//
//   - lower case, with one trailing dot removed;
//   - internationalised names converted to punycode (IDNA2008 / UTS #46,
//     non-transitional, strict), so "BÜCHER.example" becomes
//     "xn--bcher-kva.example";
//   - every label letters, digits and hyphens (no underscores, wildcards or
//     spaces), 1 to 63 octets, not starting or ending with a hyphen; the
//     whole name at most 253 octets and at least two labels;
//   - no IP address literals and no all-numeric top-level label;
//   - no label that mixes scripts in a way used for homoglyph attacks (Latin
//     with Cyrillic or Greek, for example "pаypal.com" with a Cyrillic "а").
//     A label written entirely in one script is allowed; its punycode form
//     never equals an ASCII name, so it cannot match another organization's
//     domain.
//
// Errors wrap ErrInvalidDomain.
func Normalize(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: empty name", ErrInvalidDomain)
	}
	if len(name) > maxInputLen {
		return "", fmt.Errorf("%w: name too long", ErrInvalidDomain)
	}
	if !utf8.ValidString(name) {
		return "", invalidDomain(name, "not valid UTF-8")
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", invalidDomain(name, "contains whitespace or control characters")
		}
		switch r {
		case '*':
			return "", invalidDomain(name, "wildcards are not allowed")
		case '@', '[', ']', '/', '\\', ':', '%':
			return "", invalidDomain(name, "contains %q", r)
		}
	}
	if _, err := netip.ParseAddr(strings.TrimSuffix(name, ".")); err == nil {
		return "", invalidDomain(name, "IP addresses are not domain names")
	}
	name = strings.TrimSuffix(name, ".")
	if name == "" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return "", invalidDomain(name, "empty label")
	}
	ascii, err := idnaProfile.ToASCII(name)
	if err != nil {
		return "", invalidDomain(name, "%v", err)
	}
	ascii = strings.ToLower(ascii)
	if err := checkLDH(ascii); err != nil {
		return "", invalidDomain(name, "%v", err)
	}
	// Check scripts on the Unicode form, which also decodes labels given
	// directly as punycode ("xn--...").
	uni, err := idnaProfile.ToUnicode(ascii)
	if err != nil {
		return "", invalidDomain(name, "%v", err)
	}
	// Strictness beyond UTS #46: the mapping step may only have changed case
	// (and Unicode normalisation form). Characters it silently drops or
	// replaces, such as zero-width spaces, soft hyphens, full-width letters or
	// an ideographic full stop, are refused: two spellings of one name that
	// look different are a trap for whoever compares them elsewhere.
	given := strings.Split(strings.ToLower(norm.NFC.String(name)), ".")
	asciiLabels, uniLabels := strings.Split(ascii, "."), strings.Split(uni, ".")
	if len(given) != len(asciiLabels) || len(uniLabels) != len(asciiLabels) {
		return "", invalidDomain(name, "labels must be separated by '.'")
	}
	for i, label := range uniLabels {
		if given[i] != label && given[i] != asciiLabels[i] {
			return "", invalidDomain(name, "label %q contains characters that are ignored or mapped to others", given[i])
		}
		if err := checkScripts(label); err != nil {
			return "", invalidDomain(name, "%v", err)
		}
	}
	return ascii, nil
}

// checkLDH validates an ASCII (punycode) name.
func checkLDH(name string) error {
	if len(name) > maxNameLen {
		return fmt.Errorf("longer than %d octets", maxNameLen)
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return fmt.Errorf("at least two labels are required")
	}
	for _, l := range labels {
		if l == "" {
			return fmt.Errorf("empty label")
		}
		if len(l) > maxLabelLen {
			return fmt.Errorf("label longer than %d octets", maxLabelLen)
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("label %q starts or ends with a hyphen", l)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return fmt.Errorf("label %q contains %q", l, c)
			}
		}
		if len(l) >= 4 && l[2] == '-' && l[3] == '-' && !strings.HasPrefix(l, "xn--") {
			return fmt.Errorf("label %q has hyphens in the third and fourth positions", l)
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return fmt.Errorf("all-numeric top-level label %q", tld)
	}
	return nil
}

// scriptSets are the combinations of scripts allowed in one label, following
// the "highly restrictive" level of UTS #39: a single script, or the
// combinations used by Japanese, Chinese and Korean, each with Latin.
var scriptSets = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"},
	{"Latin", "Han", "Bopomofo"},
	{"Latin", "Han", "Hangul"},
}

// checkScripts refuses a label mixing scripts outside scriptSets.
func checkScripts(label string) error {
	var seen []string
	for _, r := range label {
		if r < utf8.RuneSelf && (r == '-' || '0' <= r && r <= '9') {
			continue
		}
		s := scriptOf(r)
		if s == "Common" || s == "Inherited" {
			continue
		}
		if !contains(seen, s) {
			seen = append(seen, s)
		}
	}
	if len(seen) <= 1 {
		return nil
	}
	for _, set := range scriptSets {
		ok := true
		for _, s := range seen {
			if !contains(set, s) {
				ok = false
				break
			}
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("label %q mixes scripts (%s)", label, strings.Join(seen, ", "))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// scriptOf returns the Unicode script name of r, "Unknown" if none.
func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return "Latin"
		}
		return "Common"
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return "Unknown"
}
