package scimkit

import (
	"encoding/json"
	"reflect"
	"testing"

	scimerrors "github.com/elimity-com/scim/errors"
)

func mustJSON(t testing.TB, s string) map[string]any {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return v.(map[string]any)
}

// patchUser applies a PatchOp body to a user resource and validates the
// result as the handler does, returning it as canonical JSON.
func patchUserJSON(t testing.TB, rs *resourceSchema, resource, body string) (map[string]any, error) {
	t.Helper()
	ops, err := parsePatch([]byte(body), 100)
	if err != nil {
		return nil, err
	}
	res := mustJSON(t, resource)
	if err := rs.applyPatch(res, ops); err != nil {
		return nil, err
	}
	return rs.validate(res)
}

const baseUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","active":true,
 "name":{"givenName":"Barbara","familyName":"Jensen"},
 "emails":[{"value":"bjensen@example.com","type":"work","primary":true}],
 "phoneNumbers":[{"value":"555-1","type":"mobile"}]}`

func TestApplyPatchUser(t *testing.T) {
	rs := newUserSchema(nil)
	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + ops + `}`
	}
	tests := []struct {
		name  string
		ops   string
		check func(t *testing.T, got map[string]any)
	}{
		{"okta deactivate", `[{"op":"replace","value":{"active":false}}]`, func(t *testing.T, got map[string]any) {
			if got["active"] != false {
				t.Fatalf("active = %v", got["active"])
			}
		}},
		{"entra string boolean, capitalised op", `[{"op":"Replace","path":"active","value":"False"}]`, func(t *testing.T, got map[string]any) {
			if got["active"] != false {
				t.Fatalf("active = %v", got["active"])
			}
		}},
		{"dotted keys without path", `[{"op":"replace","value":{"name.givenName":"Babs","name.familyName":"J","id":"ignored"}}]`, func(t *testing.T, got map[string]any) {
			n := got["name"].(map[string]any)
			if n["givenName"] != "Babs" || n["familyName"] != "J" {
				t.Fatalf("name = %v", n)
			}
			if _, ok := got["id"]; ok {
				t.Fatal("id written")
			}
		}},
		{"urn keys without path, manager as string", `[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"usr_boss","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"R&D"}}]`, func(t *testing.T, got map[string]any) {
			ext := got[EnterpriseSchemaURI].(map[string]any)
			if ext["department"] != "R&D" || !reflect.DeepEqual(ext["manager"], map[string]any{"value": "usr_boss"}) {
				t.Fatalf("ext = %v", ext)
			}
			if !reflect.DeepEqual(got["schemas"], []any{UserSchemaURI, EnterpriseSchemaURI}) {
				t.Fatalf("schemas = %v", got["schemas"])
			}
		}},
		{"manager path with string value", `[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"usr_boss"}]`, func(t *testing.T, got map[string]any) {
			ext := got[EnterpriseSchemaURI].(map[string]any)
			if !reflect.DeepEqual(ext["manager"], map[string]any{"value": "usr_boss"}) {
				t.Fatalf("ext = %v", ext)
			}
		}},
		{"manager as object", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"usr_2"}}]`, func(t *testing.T, got map[string]any) {
			if !reflect.DeepEqual(got[EnterpriseSchemaURI].(map[string]any)["manager"], map[string]any{"value": "usr_2"}) {
				t.Fatalf("got %v", got)
			}
		}},
		{"whole extension path", `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"employeeNumber":"42"}}]`, func(t *testing.T, got map[string]any) {
			if got[EnterpriseSchemaURI].(map[string]any)["employeeNumber"] != "42" {
				t.Fatalf("got %v", got)
			}
		}},
		{"value-filtered path replace", `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"babs@example.com"}]`, func(t *testing.T, got map[string]any) {
			e := got["emails"].([]any)
			if len(e) != 1 || e[0].(map[string]any)["value"] != "babs@example.com" || e[0].(map[string]any)["primary"] != true {
				t.Fatalf("emails = %v", e)
			}
		}},
		{"value-filtered path creates missing element", `[{"op":"add","path":"addresses[type eq \"work\"].formatted","value":"1 Main St"}]`, func(t *testing.T, got map[string]any) {
			a := got["addresses"].([]any)
			if len(a) != 1 || !reflect.DeepEqual(a[0], map[string]any{"type": "work", "formatted": "1 Main St"}) {
				t.Fatalf("addresses = %v", a)
			}
		}},
		{"value-filtered replace creates missing element", `[{"op":"replace","path":"phoneNumbers[type eq \"work\"].value","value":"555-2"}]`, func(t *testing.T, got map[string]any) {
			p := got["phoneNumbers"].([]any)
			if len(p) != 2 {
				t.Fatalf("phoneNumbers = %v", p)
			}
		}},
		{"value-filtered remove without match is a no-op", `[{"op":"remove","path":"phoneNumbers[type eq \"fax\"]"}]`, func(t *testing.T, got map[string]any) {
			if len(got["phoneNumbers"].([]any)) != 1 {
				t.Fatalf("got %v", got)
			}
		}},
		{"value-filtered remove", `[{"op":"remove","path":"phoneNumbers[type eq \"mobile\"].value"}]`, func(t *testing.T, got map[string]any) {
			if !reflect.DeepEqual(got["phoneNumbers"], []any{map[string]any{"type": "mobile"}}) {
				t.Fatalf("phoneNumbers = %v", got["phoneNumbers"])
			}
		}},
		{"value-filtered remove of elements", `[{"op":"remove","path":"phoneNumbers[type eq \"mobile\"]"}]`, func(t *testing.T, got map[string]any) {
			if _, ok := got["phoneNumbers"]; ok {
				t.Fatalf("phoneNumbers = %v", got["phoneNumbers"])
			}
		}},
		{"string boolean in value filter", `[{"op":"replace","path":"emails[primary eq \"True\"].type","value":"home"}]`, func(t *testing.T, got map[string]any) {
			if got["emails"].([]any)[0].(map[string]any)["type"] != "home" {
				t.Fatalf("got %v", got["emails"])
			}
		}},
		{"password is accepted and dropped", `[{"op":"replace","value":{"password":"hunter2"}},{"op":"replace","path":"password","value":"x"}]`, func(t *testing.T, got map[string]any) {
			if _, ok := got["password"]; ok {
				t.Fatal("password kept")
			}
		}},
		{"add to multi-valued appends", `[{"op":"add","path":"emails","value":[{"value":"b2@example.com","type":"home"}]}]`, func(t *testing.T, got map[string]any) {
			if len(got["emails"].([]any)) != 2 {
				t.Fatalf("got %v", got["emails"])
			}
		}},
		{"replace multi-valued replaces", `[{"op":"replace","path":"emails","value":[{"value":"b2@example.com","type":"home"}]}]`, func(t *testing.T, got map[string]any) {
			if len(got["emails"].([]any)) != 1 {
				t.Fatalf("got %v", got["emails"])
			}
		}},
		{"remove attribute", `[{"op":"remove","path":"name.givenName"}]`, func(t *testing.T, got map[string]any) {
			if _, ok := got["name"].(map[string]any)["givenName"]; ok {
				t.Fatalf("got %v", got["name"])
			}
		}},
		{"case-insensitive path", `[{"op":"replace","path":"Name.GivenName","value":"B"}]`, func(t *testing.T, got map[string]any) {
			if got["name"].(map[string]any)["givenName"] != "B" {
				t.Fatalf("got %v", got["name"])
			}
		}},
		{"core urn path", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:displayName","value":"Babs"}]`, func(t *testing.T, got map[string]any) {
			if got["displayName"] != "Babs" {
				t.Fatalf("got %v", got)
			}
		}},
		{"unknown extension path ignored", `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:custom:2.0:User:costCode","value":"1"}]`, func(t *testing.T, got map[string]any) {}},
		{"null replace removes", `[{"op":"replace","path":"displayName","value":null}]`, func(t *testing.T, got map[string]any) {
			if _, ok := got["displayName"]; ok {
				t.Fatal("displayName kept")
			}
		}},
		{"empty operations", `[]`, func(t *testing.T, got map[string]any) {
			if got["userName"] != "bjensen@example.com" {
				t.Fatalf("got %v", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := patchUserJSON(t, rs, baseUser, patch(tt.ops))
			if err != nil {
				t.Fatalf("patch: %v", err)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

func TestApplyPatchUserRefused(t *testing.T) {
	rs := newUserSchema(nil)
	tests := []struct {
		name, body string
		scimType   scimerrors.ScimType
		status     int
	}{
		{"no schemas", `{"Operations":[]}`, scimerrors.ScimTypeInvalidSyntax, 400},
		{"not json", `{"schemas":`, scimerrors.ScimTypeInvalidSyntax, 400},
		{"unknown op", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"move","path":"x"}]}`, scimerrors.ScimTypeInvalidSyntax, 400},
		{"remove without path", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove"}]}`, scimerrors.ScimTypeNoTarget, 400},
		{"id path", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"id","value":"x"}]}`, scimerrors.ScimTypeMutability, 400},
		{"meta path", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"meta.created","value":"x"}]}`, scimerrors.ScimTypeMutability, 400},
		{"groups is read-only", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"groups","value":[{"value":"g"}]}]}`, scimerrors.ScimTypeMutability, 400},
		{"unknown attribute", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"shoeSize","value":"x"}]}`, scimerrors.ScimTypeInvalidPath, 400},
		{"bad path", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq","value":"x"}]}`, scimerrors.ScimTypeInvalidPath, 400},
		{"wrong type", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":"maybe"}]}`, scimerrors.ScimTypeInvalidValue, 400},
		{"filter on single-valued", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"name[givenName eq \"x\"]","value":"x"}]}`, scimerrors.ScimTypeInvalidPath, 400},
		{"unpinnable filter", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails[type ne \"work\"].value","value":"x"}]}`, scimerrors.ScimTypeNoTarget, 400},
		{"removing userName", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"userName"}]}`, scimerrors.ScimTypeInvalidValue, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := patchUserJSON(t, rs, baseUser, tt.body)
			se, ok := err.(*scimerrors.ScimError)
			if !ok {
				t.Fatalf("error %T %v", err, err)
			}
			if se.ScimType != tt.scimType || se.Status != tt.status {
				t.Fatalf("got %d %s (%s), want %d %s", se.Status, se.ScimType, se.Detail, tt.status, tt.scimType)
			}
		})
	}
	// Too many operations: 413.
	var ops []map[string]any
	for range 101 {
		ops = append(ops, map[string]any{"op": "replace", "path": "displayName", "value": "x"})
	}
	b, _ := json.Marshal(map[string]any{"schemas": []string{patchOpURI}, "Operations": ops})
	if _, err := parsePatch(b, 100); err == nil || err.(*scimerrors.ScimError).Status != 413 {
		t.Fatalf("101 operations: %v", err)
	}
}
