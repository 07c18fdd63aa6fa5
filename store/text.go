package store

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// # Identifiers typed by people
//
// A userName or an email address arrives composed (NFC) from one client
// and decomposed (NFD, as macOS produces it) from another, in any case, with
// a Greek final sigma or a German sharp s. MatchKey is the one form in which
// every Store and kit compares, indexes and keeps unique such identifiers;
// the value as sent is kept beside it for display.

// folder applies Unicode full case folding; a cases.Caser from Fold is
// stateless and safe for concurrent use.
var folder = cases.Fold()

// MatchKey returns the key under which s is matched: its canonical
// caseless form (the Unicode Standard's D145: NFD, then full case folding,
// with golang.org/x/text), in NFC so the key is short. Two strings have the
// same key when they are canonically equivalent (precomposed "ö" and "o"
// with a combining diaeresis) and differ only in case, including the case
// folds that change length ("ß" and "SS" both become "ss"; Σ, σ and final
// ς all become σ). Compatibility forms stay distinct (full-width "Ａ" is not
// "A") unless case folding itself maps them (the ligature "ﬁ" folds to
// "fi"). Case folding is stable for assigned characters; a character
// assigned in a later Unicode version than golang.org/x/text knows keeps
// its own key until the tables are updated.
//
// Stores compare userNames and email addresses (emails values, login
// emails) by this key: uniqueness of userName within a directory, userName
// and emails filters, and the lookup of a login's email. For ASCII the key
// is the lower-case string.
func MatchKey(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return norm.NFC.String(folder.String(norm.NFD.String(s)))
		}
	}
	return asciiLower(s)
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// CompareKey returns the form of a filter value v that is compared with the
// stored key of attribute a: MatchKey for AttrUserName and AttrEmail, the
// lower case for the other case-insensitive attributes, v itself for
// case-exact ones. A Store that compares a stored value with a filter value
// applies CompareKey to both.
func (a Attr) CompareKey(v string) string {
	switch {
	case a == AttrUserName || a == AttrEmail:
		return MatchKey(v)
	case a.CaseExact():
		return v
	}
	return strings.ToLower(v)
}

// # Text a Store holds
//
// Every string a Store keeps is valid UTF-8 without control characters
// (Unicode category Cc: U+0000 to U+001F, U+007F, U+0080 to U+009F). That
// excludes the NUL byte, which PostgreSQL cannot hold in text, and bytes
// that are not UTF-8, which it refuses while SQLite would keep them.
// Fields shown on one line (names, identifiers, email addresses: everything
// the Stores index) follow ValidateLine, which allows no control character
// at all. Free text inside a SCIM resource (Attributes: an address's
// formatted value, extension values) follows ValidateText, which also
// allows tab, line feed and carriage return. Other characters, such as
// format characters (U+200B, U+202E), are allowed: they occur in real names.

// A TextError reports a string a Store does not hold. It wraps ErrInvalid.
type TextError struct {
	// Field names the field at fault: "directory name", "userName",
	// "emails[0].value".
	Field string
	// Reason says what is wrong: "is not valid UTF-8" or "contains a
	// control character (U+001B)" (with ", NUL" after U+0000).
	Reason string
}

// Error returns the ErrInvalid text, the field and the reason.
func (e *TextError) Error() string { return ErrInvalid.Error() + ": " + e.Field + " " + e.Reason }

// Unwrap returns ErrInvalid.
func (e *TextError) Unwrap() error { return ErrInvalid }

// ValidateLine returns a *TextError naming field if s is not valid UTF-8
// or contains a control character.
func ValidateLine(field, s string) error { return checkText(field, s, false) }

// ValidateText is ValidateLine for multi-line text: tab, line feed and
// carriage return are allowed.
func ValidateText(field, s string) error { return checkText(field, s, true) }

func checkText(field, s string, multiline bool) error {
	// A fast pass for the usual printable ASCII.
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++
	}
	if i == len(s) {
		return nil
	}
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		reason := badRune(r, multiline)
		if r == utf8.RuneError && size == 1 {
			reason = "is not valid UTF-8"
		}
		if reason != "" {
			return &TextError{Field: field, Reason: reason}
		}
	}
	return nil
}

// badRune says what is wrong with r in text, or "" if nothing.
func badRune(r rune, multiline bool) string {
	switch {
	case r == 0:
		return "contains a control character (U+0000, NUL)"
	case multiline && (r == '\t' || r == '\n' || r == '\r'):
		return ""
	case unicode.IsControl(r):
		return fmt.Sprintf("contains a control character (U+%04X)", r)
	}
	return ""
}

// ValidateJSONText checks every string of the JSON document doc, member
// names and values, with ValidateText. The error names the field as field
// followed by the path of the string in doc ("attributes.name.formatted").
// doc is expected to be valid JSON; that is checked elsewhere.
func ValidateJSONText(field string, doc []byte) error {
	if jsonTextOK(doc) {
		return nil
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil || !utf8.Valid(doc) {
		// The path cannot be told: name the document.
		if !utf8.Valid(doc) {
			return &TextError{Field: field, Reason: "is not valid UTF-8"}
		}
		return &TextError{Field: field, Reason: "contains a control character"}
	}
	if err := ValidateJSONValue(field, v, nil); err != nil {
		return err
	}
	return &TextError{Field: field, Reason: "contains a control character"}
}

// jsonTextOK reports, without decoding, whether the JSON document doc is
// valid UTF-8 and none of its strings holds a control character other than
// tab, line feed and carriage return, raw or escaped. A backslash occurs
// only inside strings in JSON, so escapes need no parsing context.
func jsonTextOK(doc []byte) bool {
	if !utf8.Valid(doc) {
		return false
	}
	for i := 0; i < len(doc); i++ {
		switch c := doc[i]; {
		case c == 0x7f:
			return false
		case c == 0xc2 && i+1 < len(doc) && doc[i+1] >= 0x80 && doc[i+1] <= 0x9f:
			return false // C1 control
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			return false // not in valid JSON either
		case c == '\\' && i+1 < len(doc):
			i++
			switch doc[i] {
			case 'b', 'f':
				return false
			case 'u':
				if i+4 >= len(doc) {
					return false
				}
				n, err := strconv.ParseUint(string(doc[i+1:i+5]), 16, 32)
				if err != nil {
					return false
				}
				if r := rune(n); unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
					return false
				}
				i += 4
			}
		}
	}
	return true
}

// ValidateJSONValue checks every string of a decoded JSON value v (as
// encoding/json decodes into an any: maps, slices, strings, numbers,
// booleans, nil): member names with ValidateLine, string values with
// ValidateLine where line reports true for their path and with
// ValidateText otherwise (line may be nil). Paths are as WalkJSONStrings
// writes them.
func ValidateJSONValue(prefix string, v any, line func(path string) bool) error {
	return WalkJSONStrings(prefix, v, func(path, s string, name bool) error {
		switch {
		case name:
			if err := ValidateLine(path, s); err != nil {
				// The name is the bad part; it is not repeated.
				return &TextError{Field: "an attribute name", Reason: err.(*TextError).Reason}
			}
			return nil
		case line != nil && line(path):
			return ValidateLine(path, s)
		}
		return ValidateText(path, s)
	})
}

// WalkJSONStrings calls fn for every member name (name true, path the
// member's) and string value of the decoded JSON value v, in document
// order with the members of an object in name order, and stops at the
// first error, which it returns. Paths are SCIM attribute paths under
// prefix: "name.givenName", "emails[0].value", and under a top-level
// member whose name is a URN (an extension), the URN, a colon and the
// attribute ("urn:...:enterprise:2.0:User:manager.value").
func WalkJSONStrings(prefix string, v any, fn func(path, s string, name bool) error) error {
	// A first pass in map order, which needs no sorting, finds whether
	// there is an error at all; only then does a pass in name order find
	// the first.
	if err := walkJSON(prefix, false, false, v, fn); err == nil {
		return nil
	}
	return walkJSON(prefix, false, true, v, fn)
}

func walkJSON(prefix string, urn, sorted bool, v any, fn func(path, s string, name bool) error) error {
	switch x := v.(type) {
	case string:
		return fn(prefix, x, false)
	case []any:
		for i, e := range x {
			if err := walkJSON(prefix+"["+strconv.Itoa(i)+"]", false, sorted, e, fn); err != nil {
				return err
			}
		}
	case map[string]any:
		visit := func(k string) error {
			path, childURN := prefix+"."+k, false
			switch {
			case prefix == "":
				path, childURN = k, len(k) >= 4 && strings.EqualFold(k[:4], "urn:")
			case urn:
				path = prefix + ":" + k
			}
			if err := fn(path, k, true); err != nil {
				return err
			}
			return walkJSON(path, childURN, sorted, x[k], fn)
		}
		if sorted {
			for _, k := range slices.Sorted(maps.Keys(x)) {
				if err := visit(k); err != nil {
					return err
				}
			}
			return nil
		}
		for k := range x {
			if err := visit(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// ValidateFilterText returns a *TextError if a string value of f (a
// compared value or an email type) is not valid UTF-8 or holds a NUL: no
// stored value can equal it, and PostgreSQL refuses it as a parameter, so
// every Store refuses such a filter. Other control characters are allowed
// in filters; they match nothing that ValidateLine accepted.
func ValidateFilterText(f Filter) error {
	switch n := f.(type) {
	case And:
		return firstErr(ValidateFilterText(n.Left), n.Right)
	case *And:
		if n != nil {
			return firstErr(ValidateFilterText(n.Left), n.Right)
		}
	case Or:
		return firstErr(ValidateFilterText(n.Left), n.Right)
	case *Or:
		if n != nil {
			return firstErr(ValidateFilterText(n.Left), n.Right)
		}
	case Not:
		return ValidateFilterText(n.F)
	case *Not:
		if n != nil {
			return ValidateFilterText(n.F)
		}
	case Compare:
		return n.validateText()
	case *Compare:
		if n != nil {
			return n.validateText()
		}
	case Field:
		return filterString(strings.Join(n.Path, "."), stringValue(n.Value))
	case *Field:
		if n != nil {
			return filterString(strings.Join(n.Path, "."), stringValue(n.Value))
		}
	case Some:
		return ValidateFilterText(n.F)
	case *Some:
		if n != nil {
			return ValidateFilterText(n.F)
		}
	}
	return nil
}

func firstErr(err error, next Filter) error {
	if err != nil {
		return err
	}
	return ValidateFilterText(next)
}

func (c Compare) validateText() error {
	if err := filterString(string(c.Attr), c.EmailType); err != nil {
		return err
	}
	return filterString(string(c.Attr), stringValue(c.Value))
}

func filterString(attr, s string) error {
	switch {
	case !utf8.ValidString(s):
		return &TextError{Field: attr + " in the filter", Reason: "is not valid UTF-8"}
	case strings.IndexByte(s, 0) >= 0:
		return &TextError{Field: attr + " in the filter", Reason: "contains a control character (U+0000, NUL)"}
	}
	return nil
}

func stringValue(v any) string {
	s, _ := v.(string)
	return s
}
