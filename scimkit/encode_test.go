package scimkit

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// TestMarshalValue checks that marshalValue writes what json.Marshal
// writes, for decoded bodies and the values validation puts in them.
func TestMarshalValue(t *testing.T) {
	docs := []string{
		userBody(7),
		`{"userName":"a<b>&c@example.com","name":{"givenName":"Zo\u00eb \"Z\"","familyName":"line\nbreak\ttab\\"},"emails":[{"value":"x@example.com","primary":true,"type":"work"},null,{}],"n":[1,-0,0.5,1e21,1e-7,-12345678901234567890,3.0],"e":[],"o":{},"u":"\u2028\u2029\ufffd\u0000\u001f\u007f","k":{"Z":1,"a":2,"A":3,"\u00e9":4,"<":5}}`,
	}
	for _, doc := range docs {
		v, err := decodeJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		check := func(v any) {
			t.Helper()
			want, werr := json.Marshal(v)
			got, gerr := marshalValue(v)
			if (werr != nil) != (gerr != nil) || !bytes.Equal(got, want) {
				t.Errorf("marshalValue(%#v)\n = %s, %v\nwant %s, %v", v, got, gerr, want, werr)
			}
		}
		check(v)
		// Floats, as a decoder without UseNumber or validation may leave.
		var f any
		if err := json.Unmarshal([]byte(doc), &f); err != nil {
			t.Fatal(err)
		}
		check(f)
	}
	for _, v := range []any{nil, true, false, "", 0.0, math.Copysign(0, -1), 1e15, 1e15 - 1, -1e15 + 1, 123.0, 1.5, 1e300,
		map[string]any(nil), []any(nil), map[string]any{}, []any{}, 42, int64(-7), []string{"a"}, json.Number("12"), "\xff"} {
		want, werr := json.Marshal(v)
		got, gerr := marshalValue(v)
		if (werr != nil) != (gerr != nil) || !bytes.Equal(got, want) {
			t.Errorf("marshalValue(%#v) = %s, %v; want %s, %v", v, got, gerr, want, werr)
		}
	}
	// What json.Marshal refuses is refused.
	if _, err := marshalValue(map[string]any{"x": math.NaN()}); err == nil {
		t.Error("NaN encoded")
	}
}
