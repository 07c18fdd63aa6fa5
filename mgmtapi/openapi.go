package mgmtapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The OpenAPI 3.1 document is built from the operations table when the API
// is created: every route is in it, and each body is described from the
// Go type the endpoint decodes or encodes (JSON field names, omitempty
// fields optional, pointers nullable, unknown fields refused). It is
// served at GET /openapi.json, without an API key.

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// buildDocument returns the OpenAPI document of ops as JSON.
func buildDocument(ops []operation) ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}, names: map[reflect.Type]string{}}
	errorSchema := g.schema(reflect.TypeFor[errorJSON]())
	paths := map[string]map[string]any{}
	ids := map[string]bool{}
	for _, op := range ops {
		if ids[op.ID] {
			return nil, fmt.Errorf("operationId %s used twice", op.ID)
		}
		ids[op.ID] = true
		o := map[string]any{"operationId": op.ID, "summary": op.Summary, "tags": []string{op.Tag}}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(op.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range op.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": map[string]any{"type": q.Type}})
		}
		if op.Idempotent {
			params = append(params, map[string]any{"name": IdempotencyKeyHeader, "in": "header",
				"description": "makes the creation safe to retry: a second request with the same key answers with what the first created (header Idempotent-Replayed: true) and creates nothing",
				"schema":      map[string]any{"type": "string", "maxLength": 200}})
		}
		if params != nil {
			o["parameters"] = params
		}
		if op.Body != nil {
			o["requestBody"] = map[string]any{"required": false, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(op.Body))}}}
		}
		ok := map[string]any{"description": http.StatusText(op.Status)}
		if op.Response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(op.Response))}}
		}
		errResp := map[string]any{"description": "refused or failed: invalid_input (400), unauthorized (401), not_found (404), conflict (409), not_configured (501), internal (500)",
			"content": map[string]any{"application/json": map[string]any{"schema": errorSchema}}}
		o["responses"] = map[string]any{strconv.Itoa(op.Status): ok, "default": errResp}
		if paths[op.Path] == nil {
			paths[op.Path] = map[string]any{}
		}
		paths[op.Path][strings.ToLower(op.Method)] = o
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "onboardkit management API", "version": "1",
			"description": "The operations of the admin service over HTTP. Every request carries a management API key as Authorization: Bearer okm_...; bodies are JSON objects of at most 1 MiB, and unknown fields are refused."},
		"security":   []any{map[string]any{"apiKey": []string{}}},
		"paths":      paths,
		"components": map[string]any{"schemas": g.defs, "securitySchemes": map[string]any{"apiKey": map[string]any{"type": "http", "scheme": "bearer"}}},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// errorJSON is every error answer.
type errorJSON struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// schemaGen describes Go types as JSON Schema (2020-12, as OpenAPI 3.1
// uses it); named struct types become components.
type schemaGen struct {
	defs  map[string]any
	names map[reflect.Type]string
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawType:
		return map[string]any{}
	}
	for v, vals := range enumValues {
		if reflect.TypeOf(v) == t {
			return map[string]any{"type": "string", "enum": vals}
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if typ, ok := s["type"].(string); ok {
			c := map[string]any{}
			for k, v := range s {
				c[k] = v
			}
			c["type"] = []string{typ, "null"}
			if e, ok := c["enum"].([]string); ok {
				c["enum"] = append(append([]any{}, toAny(e)...), nil)
			}
			return c
		}
		return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		name, ok := g.names[t]
		if !ok {
			name = componentName(t)
			for _, taken := g.defs[name]; taken; _, taken = g.defs[name] {
				name += "_"
			}
			g.names[t] = name
			g.defs[name] = map[string]any{} // a placeholder against recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// componentName names a struct type's component: linkJSON is "Link",
// orgIn is "OrgInput".
func componentName(t reflect.Type) string {
	n := t.Name()
	switch {
	case strings.HasSuffix(n, "JSON"):
		n = strings.TrimSuffix(n, "JSON")
	case strings.HasSuffix(n, "In"):
		n = strings.TrimSuffix(n, "In") + "Input"
	}
	r := []rune(n)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// object describes a struct: its JSON fields (embedded structs' fields
// inline), the fields without omitempty required, no other field allowed.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = g.schema(f.Type)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
	}
	walk(t)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		sort.Strings(required)
		s["required"] = required
	}
	return s
}
