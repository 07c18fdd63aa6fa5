package scimkit

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
)

// marshalValue encodes v, a value as the request decoder reads JSON into an
// any (maps, slices, strings, json.Number, booleans, nil) and as
// validation rewrites it, into exactly the bytes json.Marshal writes for
// it: members sorted by name, HTML characters escaped. It walks the value
// itself, without encoding/json's reflection over every map member, and
// leaves to json.Marshal what it does not write the same way (a string
// that needs escaping, a number, any other type).
func marshalValue(v any) ([]byte, error) {
	return appendValue(make([]byte, 0, 512), v)
}

func appendValue(b []byte, v any) (_ []byte, err error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendString(b, x), nil
	case float64:
		// An integer json.Marshal writes in 'f' form, as AppendInt does.
		if x == math.Trunc(x) && math.Abs(x) < 1e15 && (x != 0 || !math.Signbit(x)) {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, strings.Compare)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(append(appendString(b, k), ':'), x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// appendString writes s quoted; a string with a byte json.Marshal escapes
// (a quote, a backslash, a control character, <, > or &, anything not
// ASCII) goes through json.Marshal, which encodes every string.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s)
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
