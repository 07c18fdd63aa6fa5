package domains

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	maxLocalLen = 64  // RFC 5321 section 4.5.3.1.1
	maxEmailLen = 254 // RFC 5321 path limit minus the angle brackets
)

// Email is a parsed email address: a local part and a normalised domain.
type Email struct {
	Local  string // as given (local parts are case-sensitive in principle)
	Domain string // normalised: lower case, punycode
}

// String returns local@domain.
func (e Email) String() string { return e.Local + "@" + e.Domain }

func invalidEmail(addr, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidEmail, truncate(addr, 100), fmt.Sprintf(format, args...))
}

// ParseEmail parses a bare address (an RFC 5322 addr-spec in dot-atom form)
// strictly, the way an address received from an identity provider or typed
// into a login form must be read before it routes anything:
//
//   - exactly one "@": "a@evil.com@victim.com" is refused;
//   - no display name, angle brackets, comments, quoted local part,
//     whitespace, CR or LF;
//   - a local part of 1 to 64 octets of RFC 5322 atext characters (letters,
//     digits and !#$%&'*+-/=?^_`{|}~, non-ASCII letters and digits allowed)
//     separated by single dots, not starting or ending with a dot;
//   - no Microsoft Entra guest marker "#EXT#" in the local part (a guest
//     account's address is not an address of the tenant's domain);
//   - a domain that passes Normalize and has no trailing dot: "a@victim.com."
//     is refused, "a@VICTIM.com" becomes "a@victim.com", IDNs become
//     punycode, and "a@victim.com.evil.com" has the domain
//     "victim.com.evil.com" (which never matches victim.com).
//
// Errors wrap ErrInvalidEmail.
func ParseEmail(addr string) (Email, error) {
	if addr == "" {
		return Email{}, fmt.Errorf("%w: empty address", ErrInvalidEmail)
	}
	if len(addr) > maxEmailLen*4 {
		return Email{}, fmt.Errorf("%w: address too long", ErrInvalidEmail)
	}
	if !utf8.ValidString(addr) {
		return Email{}, invalidEmail(addr, "not valid UTF-8")
	}
	if n := strings.Count(addr, "@"); n != 1 {
		return Email{}, invalidEmail(addr, "want exactly one @, found %d", n)
	}
	local, domain, _ := strings.Cut(addr, "@")
	if err := checkLocal(local); err != nil {
		return Email{}, invalidEmail(addr, "%v", err)
	}
	if domain == "" {
		return Email{}, invalidEmail(addr, "empty domain")
	}
	if strings.HasSuffix(domain, ".") {
		return Email{}, invalidEmail(addr, "trailing dot in the domain")
	}
	d, err := Normalize(domain)
	if err != nil {
		return Email{}, fmt.Errorf("%w: %w", ErrInvalidEmail, err)
	}
	e := Email{Local: local, Domain: d}
	if len(e.String()) > maxEmailLen {
		return Email{}, invalidEmail(addr, "longer than %d octets", maxEmailLen)
	}
	return e, nil
}

func checkLocal(local string) error {
	if local == "" {
		return fmt.Errorf("empty local part")
	}
	if len(local) > maxLocalLen {
		return fmt.Errorf("local part longer than %d octets", maxLocalLen)
	}
	if strings.Contains(strings.ToUpper(local), "#EXT#") {
		return fmt.Errorf("guest account (#EXT#) addresses are not accepted")
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return fmt.Errorf("misplaced dot in the local part")
	}
	for _, r := range local {
		if !atext(r) && r != '.' {
			return fmt.Errorf("character %q not allowed in the local part", r)
		}
	}
	return nil
}

// atext reports whether r is an RFC 5322 atext character, extended by RFC
// 6531 to non-ASCII letters, marks and digits.
func atext(r rune) bool {
	if r >= utf8.RuneSelf {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
	}
	if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}
