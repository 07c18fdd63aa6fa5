package scimkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/onboardkit/onboardkit/store"
)

// Text the Stores cannot hold (bytes that are not UTF-8, a NUL, control
// characters) is refused before anything is written, with 400 invalidValue
// and the attribute path in the detail, the same on every Store. The rule
// is the Stores' own (store.ValidateLine, store.ValidateText): the
// attributes a Store indexes (lineAttrs) allow no control character, the
// other string values of a resource allow tab, line feed and carriage
// return.

// lineAttrs are the attribute paths, lower-cased and without indexes,
// whose values are single-line text.
var lineAttrs = map[string]bool{
	"username":        true,
	"externalid":      true,
	"displayname":     true,
	"name.givenname":  true,
	"name.familyname": true,
	"emails.value":    true,
	"emails.type":     true,
	"members.value":   true,
}

// linePath reports whether the value at path (as store.ValidateJSONValue
// writes it) is single-line text.
func linePath(path string) bool {
	if ascii(path) {
		// Without allocating: most string values of a resource are not
		// single-line ones, and every one of them is asked about.
		for a := range lineAttrs {
			if pathIs(path, a) {
				return true
			}
		}
		return false
	}
	if !strings.Contains(path, "[") {
		return lineAttrs[strings.ToLower(path)]
	}
	var b strings.Builder
	skip := false
	for _, r := range path {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return lineAttrs[strings.ToLower(b.String())]
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// pathIs reports whether the ASCII path, without its indexes ("[0]") and
// in any case, is attr, a lower-case attribute path.
func pathIs(path, attr string) bool {
	j, index := 0, false
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case c == '[':
			index = true
			continue
		case c == ']':
			index = false
			continue
		case index:
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if j == len(attr) || c != attr[j] {
			return false
		}
		j++
	}
	return j == len(attr)
}

// checkResourceText checks every string of a validated resource.
func checkResourceText(res map[string]any) error {
	if err := store.ValidateJSONValue("", res, linePath); err != nil {
		return textError(err)
	}
	return nil
}

// textError turns a *store.TextError into 400 invalidValue naming the
// attribute; other errors are returned as they are.
func textError(err error) error {
	var te *store.TextError
	if !errors.As(err, &te) {
		return err
	}
	return &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeInvalidValue,
		Detail: "The value of " + te.Field + " " + te.Reason + "."}
}

// badBytes stands for the bytes of a body that are not UTF-8 while the
// body is decoded to find where they are: U+FFFF, a noncharacter.
const badBytes = "\uffff"

// checkBodyUTF8 refuses a request body that is not valid UTF-8, naming the
// member of the JSON document that holds the bad bytes when it can tell
// ("Operations[0].value.userName"). encoding/json would otherwise replace
// them with U+FFFD and the value would be stored altered.
func checkBodyUTF8(body []byte) error {
	if utf8.Valid(body) {
		return nil
	}
	field := "the request body"
	if !bytes.Contains(body, []byte(badBytes)) {
		var v any
		if json.Unmarshal(bytes.ToValidUTF8(body, []byte(badBytes)), &v) == nil {
			if p, ok := findMarker(v); ok {
				field = p
			}
		}
	}
	return &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeInvalidValue,
		Detail: "The value of " + field + " is not valid UTF-8."}
}

// findMarker returns the path of the first string of v that holds
// badBytes.
func findMarker(v any) (string, bool) {
	found := errors.New("found")
	path := ""
	err := store.WalkJSONStrings("", v, func(p, s string, name bool) error {
		if !strings.Contains(s, badBytes) {
			return nil
		}
		path = p
		if name {
			path = "an attribute name"
		}
		return found
	})
	return path, err == found
}
