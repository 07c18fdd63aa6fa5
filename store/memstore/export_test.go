package memstore

import (
	"fmt"
	"reflect"
	"strings"
)

// Raw returns every field of every record the Store keeps, as text:
// strings and byte slices as they are, pointers followed.
func Raw(s *Store) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	v := reflect.ValueOf(s).Elem()
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.Name != "mu" && f.Name != "sealer" {
			dump(&b, v.Field(i))
		}
	}
	return b.String()
}

func dump(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			dump(b, v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			dump(b, v.Field(i))
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			dump(b, it.Key())
			dump(b, it.Value())
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Kind() == reflect.Slice {
				b.Write(v.Bytes())
			}
			b.WriteByte('\t')
			return
		}
		for i := range v.Len() {
			dump(b, v.Index(i))
		}
	case reflect.String:
		b.WriteString(v.String())
		b.WriteByte('\t')
	default:
		if v.CanInterface() {
			fmt.Fprint(b, v.Interface(), "\t")
		}
	}
}
