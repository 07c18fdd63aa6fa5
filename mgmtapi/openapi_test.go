package mgmtapi_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/gworkspace/gwsim"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
	"github.com/onboardkit/onboardkit/store"
)

// openAPI is the served document, with what a test needs to match
// requests to its operations and check answers against its schemas.
type openAPI struct {
	doc map[string]any
	ops []docOp
}

type docOp struct {
	method, path, id string
	re               *regexp.Regexp
	op               map[string]any
}

func loadOpenAPI(t *testing.T, h *surfacetest.Env) *openAPI {
	t.Helper()
	w := h.Get("/api/openapi.json")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json without a key: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	o := &openAPI{}
	if err := json.Unmarshal(w.Body.Bytes(), &o.doc); err != nil {
		t.Fatal(err)
	}
	if o.doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", o.doc["openapi"])
	}
	paths, _ := o.doc["paths"].(map[string]any)
	for p, item := range paths {
		re := regexp.MustCompile("^" + regexp.MustCompile(`\\\{[a-z_]+\\\}`).ReplaceAllString(regexp.QuoteMeta(p), `[^/]+`) + "$")
		for method, op := range item.(map[string]any) {
			opm := op.(map[string]any)
			o.ops = append(o.ops, docOp{method: strings.ToUpper(method), path: p, id: opm["operationId"].(string), re: re, op: opm})
		}
	}
	sort.Slice(o.ops, func(i, j int) bool { return o.ops[i].id < o.ops[j].id })
	return o
}

// find returns the operation a request matches.
func (o *openAPI) find(method, path string) *docOp {
	path, _, _ = strings.Cut(path, "?")
	for i := range o.ops {
		if o.ops[i].method == method && o.ops[i].re.MatchString(path) {
			return &o.ops[i]
		}
	}
	return nil
}

// check validates an answer against the operation's response for its
// status (or "default"), and returns an error naming what differs.
func (o *openAPI) check(op *docOp, status int, body []byte) error {
	resps := op.op["responses"].(map[string]any)
	resp, ok := resps[strconv.Itoa(status)].(map[string]any)
	if !ok {
		if status < 400 {
			return fmt.Errorf("status %d is not declared", status)
		}
		resp = resps["default"].(map[string]any)
	}
	content, _ := resp["content"].(map[string]any)
	if content == nil {
		if len(bytes.TrimSpace(body)) != 0 {
			return fmt.Errorf("status %d declares no body, got %s", status, body)
		}
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("body is not JSON: %v", err)
	}
	schema := content["application/json"].(map[string]any)["schema"]
	return o.validate(schema, v, "$")
}

// validate is a JSON Schema checker for the keywords the document uses:
// $ref, anyOf, type (one or several), enum, properties, required,
// additionalProperties, items and format date-time.
func (o *openAPI) validate(schema any, v any, at string) error {
	s, _ := schema.(map[string]any)
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		def, ok := o.doc["components"].(map[string]any)["schemas"].(map[string]any)[name]
		if !ok {
			return fmt.Errorf("%s: unknown $ref %s", at, ref)
		}
		return o.validate(def, v, at)
	}
	if any, ok := s["anyOf"].([]any); ok {
		var errs []string
		for _, alt := range any {
			err := o.validate(alt, v, at)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s: matches no alternative: %s", at, strings.Join(errs, "; "))
	}
	if typ, ok := s["type"]; ok {
		var types []string
		switch tt := typ.(type) {
		case string:
			types = []string{tt}
		case []any:
			for _, x := range tt {
				types = append(types, x.(string))
			}
		}
		if !slices.Contains(types, jsonType(v)) && !(jsonType(v) == "integer" && slices.Contains(types, "number")) {
			return fmt.Errorf("%s: %s, want %v", at, jsonType(v), types)
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		return fmt.Errorf("%s: %v is not one of %v", at, v, enum)
	}
	if s["format"] == "date-time" {
		if str, ok := v.(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				return fmt.Errorf("%s: %q is not a date-time", at, str)
			}
		}
	}
	switch val := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := val[r]; !ok {
				return fmt.Errorf("%s: required %q is missing", at, r)
			}
		}
		for k, x := range val {
			ps, ok := props[k]
			if !ok {
				switch ap := s["additionalProperties"].(type) {
				case bool:
					if !ap {
						return fmt.Errorf("%s: %q is not declared", at, k)
					}
					continue
				case map[string]any:
					ps = ap
				default:
					continue
				}
			}
			if err := o.validate(ps, x, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		if items, ok := s["items"]; ok {
			for i, x := range val {
				if err := o.validate(items, x, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func asStrings(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		out = append(out, x.(string))
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// TestOpenAPIValidator: the checker refuses what does not match, so that
// the test below can fail.
func TestOpenAPIValidator(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	o := loadOpenAPI(t, h)
	op := o.find("GET", "/organizations/org_x/domains")
	if op == nil || op.id != "listDomains" {
		t.Fatalf("find: %+v", op)
	}
	for _, bad := range []string{
		`{"domains": null}`,
		`{"domains": [], "extra": 1}`,
		`{}`,
		`{"domains": [{"id": "d", "org_id": "o", "name": "a", "state": "pending", "method": "carrier_pigeon"}]}`,
		`{"domains": [{"id": "d", "org_id": "o", "name": "a", "state": "pending", "method": "manual", "created_at": "yesterday"}]}`,
	} {
		if err := o.check(op, 200, []byte(bad)); err == nil {
			t.Errorf("%s passed", bad)
		}
	}
	if err := o.check(op, 200, []byte(`{"domains": []}`)); err != nil {
		t.Errorf("valid body refused: %v", err)
	}
	if err := o.check(op, 404, []byte(`{"error": {"code": "not_found", "message": "x"}}`)); err != nil {
		t.Errorf("error body refused: %v", err)
	}
	if err := o.check(op, 404, []byte(`{"error": "x"}`)); err == nil {
		t.Error("malformed error passed")
	}
}

// TestOpenAPIEveryOperation drives every operation of the served document
// with real requests, checks every answer against the schema the document
// declares, and fails for an operation no request reached with its
// success status.
func TestOpenAPIEveryOperation(t *testing.T) {
	t.Parallel()
	var googleKey []byte
	const googleAdmin = "admin@acme.example"
	h := surfacetest.New(t, func(c *surfacetest.Config) {
		c.Kits = true
		c.Google = func(e *surfacetest.Env) admin.GoogleDirectories {
			sim := gwsim.New("acme.example")
			srv := httptest.NewServer(sim)
			t.Cleanup(srv.Close)
			sim.PutUser(gwsim.User{PrimaryEmail: googleAdmin, GivenName: "Ada", FamilyName: "Admin", IsAdmin: true})
			key, err := sim.NewServiceAccountKey()
			testkit.Must(t, err)
			sim.Delegate(key.ClientID, gworkspace.Scopes...)
			googleKey = key.JSON
			g, err := gworkspace.New(gworkspace.Config{Store: e.Store, Endpoint: srv.URL, TokenURL: srv.URL + "/token",
				HTTPClient: srv.Client(), Now: e.Clock.Now, Logger: slog.New(slog.DiscardHandler)})
			testkit.Must(t, err)
			return g
		}
		c.Admin.Roles = &roles.Config{Roles: []roles.Role{{Key: "admin", Name: "Administrator"}, {Key: "member", Name: "Member"}}, Default: "member",
			Fields: []roles.Field{{Key: "department", Name: "Department", Type: roles.FieldString}}}
	})
	o := loadOpenAPI(t, h)
	idp := idpsim.NewServer(t, nil)
	exercised := map[string]bool{}

	call := func(method, path string, body any, hdr ...string) map[string]any {
		t.Helper()
		var rd io.Reader
		if body != nil {
			raw, err := json.Marshal(body)
			testkit.Must(t, err)
			rd = bytes.NewReader(raw)
		}
		r := httptest.NewRequest(method, surfacetest.Origin+"/api"+path, rd)
		r.Header.Set("Authorization", "Bearer "+h.Key)
		if body != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := h.Do(r)
		op := o.find(method, path)
		if op == nil {
			t.Fatalf("%s %s is not in the document (answered %d)", method, path, w.Code)
		}
		if err := o.check(op, w.Code, w.Body.Bytes()); err != nil {
			t.Errorf("%s %s (%s): %d: %v\n%s", method, path, op.id, w.Code, err, w.Body)
		}
		if w.Code >= 300 {
			t.Fatalf("%s %s (%s): %d %s", method, path, op.id, w.Code, w.Body)
		}
		exercised[op.id] = true
		var out map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		return out
	}
	str := func(m map[string]any, keys ...string) string {
		var v any = m
		for _, k := range keys {
			v = v.(map[string]any)[k]
		}
		s, _ := v.(string)
		return s
	}

	org := call("POST", "/organizations", map[string]any{"name": "Globex", "external_id": "cus_1"})
	id := str(org, "id")
	orgPath := "/organizations/" + id
	call("GET", "/organizations?limit=10&search=glob", nil)
	call("PATCH", orgPath, map[string]any{"name": "Globex Corp"})
	link := call("POST", orgPath+"/portal-links", map[string]any{"features": []string{"sso"}})
	call("GET", orgPath+"/portal-links", nil)
	call("POST", "/portal-links/"+str(link, "id")+"/revoke", nil)
	call("POST", orgPath+"/sessions/end", map[string]any{})
	dom := call("POST", orgPath+"/domains", map[string]any{"name": "globex.example", "method": "dns_txt"})
	call("GET", orgPath+"/domains", nil)
	call("POST", "/domains/"+str(dom, "id")+"/check", nil)
	call("POST", "/domains/"+str(dom, "id")+"/verify", nil)
	call("DELETE", "/domains/"+str(dom, "id"), nil)

	// SSO connections, by each input method.
	saml := call("POST", orgPath+"/connections", map[string]any{"protocol": "saml", "provider": "okta", "name": "Globex Okta"}, "Idempotency-Key", "c1")
	again := call("POST", orgPath+"/connections", map[string]any{"protocol": "saml", "provider": "okta", "name": "Globex Okta"}, "Idempotency-Key", "c1")
	if str(again, "id") != str(saml, "id") {
		t.Errorf("a retried creation made %s, then %s", str(saml, "id"), str(again, "id"))
	}
	conn := "/connections/" + str(saml, "id")
	call("POST", conn+"/saml/metadata-url", map[string]any{"metadata_url": idp.MetadataURL()})
	resp, err := http.Get(idp.MetadataURL())
	testkit.Must(t, err)
	xml, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	call("POST", conn+"/saml/metadata-xml", map[string]any{"metadata_xml": string(xml)})
	_, cert, err := ssokit.NewSAMLKeyPair(rand.Reader, h.Clock.Now(), "idp.example.com")
	testkit.Must(t, err)
	call("POST", conn+"/saml/manual", map[string]any{"entity_id": "https://idp.example.com", "sso_url": "https://idp.example.com/sso", "certificates": []string{cert}})
	call("PUT", conn+"/attribute-mapping", map[string]any{"mapping": map[string]string{"email": "mail"}})
	sec := call("PUT", conn+"/security-options", map[string]any{"insecure_allow_idp_initiated": true, "insecure_clock_skew_seconds": 300})
	if s := sec["security"].(map[string]any); s["insecure_allow_idp_initiated"] != true || s["clock_skew_seconds"] != float64(300) {
		t.Errorf("security options %v", s)
	}
	if ev := h.LastEvent("sso.connection.security_weakened"); ev.Actor == "" || !strings.HasPrefix(ev.Actor, "api_key:") {
		t.Errorf("weakening event %+v", ev)
	}
	tl := call("POST", conn+"/test-links", map[string]any{"return_to": "/app"})
	call("GET", conn+"/test-result?after="+strconv.FormatInt(int64(tl["after"].(float64)), 10), nil)
	call("GET", conn, nil)
	call("GET", orgPath+"/connections", nil)
	oidc := call("POST", orgPath+"/connections", map[string]any{"protocol": "oidc", "provider": "generic"})
	call("POST", "/connections/"+str(oidc, "id")+"/oidc", map[string]any{"issuer": idp.Issuer(), "client_id": "client-1", "client_secret": "s3cret", "scopes": []string{"email"}})
	// A tested connection can be enabled and disabled.
	now := h.Clock.Now()
	_, err = h.Store.UpdateConnection(t.Context(), str(oidc, "id"), func(c *store.Connection) ([]store.Event, error) {
		c.State, c.TestedAt = store.ConnectionTested, now
		return nil, nil
	})
	testkit.Must(t, err)
	call("POST", "/connections/"+str(oidc, "id")+"/enable", nil)
	call("POST", "/connections/"+str(oidc, "id")+"/disable", nil)
	call("DELETE", conn, nil)

	// Directories and tokens.
	dir := call("POST", orgPath+"/directories", map[string]any{"provider": "entra"}, "Idempotency-Key", "d1")
	dirID := str(dir, "directory", "id")
	if !strings.HasPrefix(str(dir, "token", "token"), scimkit.TokenPrefix) {
		t.Errorf("new directory %v", dir)
	}
	call("GET", orgPath+"/directories", nil)
	call("GET", "/directories/"+dirID, nil)
	tok := call("POST", "/directories/"+dirID+"/tokens", map[string]any{}, "Idempotency-Key", "t1")
	call("GET", "/directories/"+dirID+"/tokens", nil)
	call("POST", "/directories/"+dirID+"/tokens/"+str(tok, "id")+"/revoke", nil)
	call("POST", "/directories/"+dirID+"/enable", nil)
	call("POST", "/directories/"+dirID+"/disable", nil)

	// Google Workspace.
	g := call("POST", orgPath+"/directories", map[string]any{"provider": "google", "name": "Globex Google"})
	gp := "/directories/" + str(g, "directory", "id") + "/google"
	call("PUT", gp+"/settings", map[string]any{"admin_email": googleAdmin})
	call("PUT", gp+"/key", map[string]any{"key_file": string(googleKey)})
	call("GET", gp, nil)
	call("POST", gp+"/test", nil)
	call("POST", gp+"/sync", nil)

	call("GET", "/branding", nil)
	call("PATCH", "/branding", map[string]any{"accent_color": "#0f766e"})
	call("GET", orgPath+"/branding", nil)
	call("PATCH", orgPath+"/branding", map[string]any{"accent_color": "#123456"})
	call("GET", orgPath+"/roles", nil)
	call("PUT", orgPath+"/roles", map[string]any{"mappings": []any{map[string]any{"source": "idp_group", "value": "Admins", "role": "admin"}}})
	call("GET", orgPath+"/provisioning-policy", nil)
	call("PATCH", orgPath+"/provisioning-policy", map[string]any{"outside_domains": "refuse"})
	call("GET", orgPath+"/attributes", nil)
	call("PUT", orgPath+"/attributes", map[string]any{"mappings": []any{map[string]any{"field": "department", "saml_attribute": "dept", "oidc_claim": "department", "scim_path": ""}}})
	latest := call("GET", "/events?after=latest", nil)
	call("GET", "/events?types=organization,sso.connection&org_id="+id+"&limit=50", nil)
	if evs := latest["events"].([]any); len(evs) != 0 {
		t.Errorf("after=latest returned %d events", len(evs))
	}
	call("GET", orgPath, nil)
	call("DELETE", orgPath, nil)

	for _, op := range o.ops {
		if !exercised[op.id] {
			t.Errorf("operation %s (%s %s) is not exercised", op.id, op.method, op.path)
		}
	}
}
