package ssokit

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/internal/teststores"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/ssokit/idpsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

var customFields = &roles.Config{Fields: []roles.Field{
	{Key: "department", Type: roles.FieldString},
	{Key: "employee_number", Type: roles.FieldInteger},
	{Key: "remote", Type: roles.FieldBoolean},
	{Key: "projects", Type: roles.FieldStringList},
}}

// customStores are the Stores the custom attribute flows run on.
func customStores() map[string]teststores.Opener { return teststores.All(testKeyring, "ssokit") }

// loginCustom returns the custom values and refusals on the last
// sso.login.succeeded event.
func loginCustom(t *testing.T, st store.Store) (store.CustomValues, []roles.ValueError) {
	t.Helper()
	evs, err := st.ListEvents(context.Background(), store.EventQuery{Types: []string{EventLoginSucceeded}, Limit: 100})
	if err != nil || len(evs) == 0 {
		t.Fatalf("login events: %v %v", evs, err)
	}
	var d struct {
		Custom  store.CustomValues `json:"custom"`
		Refused []roles.ValueError `json:"custom_refused"`
	}
	if err := json.Unmarshal(evs[len(evs)-1].Data, &d); err != nil {
		t.Fatal(err)
	}
	return d.Custom, d.Refused
}

// TestCustomAttributesAtLogin: the values of the host's custom attributes
// flow from SAML attributes (multi-valued for a list) and OIDC claims (of
// JSON types) to Profile.Custom and the login event, on every store; a
// value of the wrong type is left out and recorded; a directory user's
// values come first.
func TestCustomAttributesAtLogin(t *testing.T) {
	for name, open := range customStores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			a := newAppWith(t, st, true, func(c *Config) { c.Roles = customFields })
			idp := newSim(t)
			addSimConnection(t, a, idp, "conn_sim", idpsim.PresetOkta, idpsim.SignBoth)
			if err := idp.RegisterClient(idpsim.Client{ID: "app", Secret: "secret", RedirectURIs: []string{a.sso.OIDCRedirectURL("conn_simo")}, Preset: idpsim.PresetOkta}); err != nil {
				t.Fatal(err)
			}
			if err := st.CreateConnection(ctx, &store.Connection{
				ID: "conn_simo", OrgID: testOrg, Protocol: store.ProtocolOIDC, Provider: "okta", State: store.ConnectionActive,
				OIDC:     &store.OIDCConfig{Issuer: idp.Issuer(), ClientID: "app", ClientSecret: "secret"},
				TestedAt: testNow, CreatedAt: testNow, UpdatedAt: testNow,
			}); err != nil {
				t.Fatal(err)
			}
			if err := st.SetAttributeMappings(ctx, testOrg, []store.AttributeMapping{
				{OrgID: testOrg, Field: "department", SAMLAttribute: "Department", OIDCClaim: "department"},
				{OrgID: testOrg, Field: "employee_number", SAMLAttribute: "urn:oid:2.16.840.1.113730.3.1.3", OIDCClaim: "employee_number"},
				{OrgID: testOrg, Field: "remote", OIDCClaim: "remote"},
				{OrgID: testOrg, Field: "projects", SAMLAttribute: "projects", OIDCClaim: "projects"},
			}); err != nil {
				t.Fatal(err)
			}
			login := func(u idpsim.User, oidc bool) *Profile {
				t.Helper()
				if err := idp.SetAutoLogin(&idpsim.AutoLogin{User: u}); err != nil {
					t.Fatal(err)
				}
				before := len(a.logins())
				c := newClient()
				if oidc {
					req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/sso/start?connection=conn_simo", nil)
					resp, _ := fetch(t, c, req)
					for i := 0; i < 5 && (resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther); i++ {
						req, _ = http.NewRequest(http.MethodGet, resolveLoc(req, resp.Header.Get("Location")), nil)
						resp, _ = fetch(t, c, req)
					}
				} else {
					samlRoundTrip(t, a, c, "conn_sim")
				}
				ls := a.logins()
				if len(ls) != before+1 {
					t.Fatalf("no login\n%s", a.logs)
				}
				return ls[len(ls)-1]
			}
			check := func(what string, p *Profile, want store.CustomValues, refused ...string) {
				t.Helper()
				if !p.Custom.Equal(want) {
					t.Fatalf("%s: Profile.Custom = %#v, want %#v", what, p.Custom, want)
				}
				ev, evRefused := loginCustom(t, st)
				if !ev.Equal(want) {
					t.Fatalf("%s: event custom = %#v, want %#v", what, ev, want)
				}
				if len(p.CustomRefused) != len(refused) || len(evRefused) != len(refused) {
					t.Fatalf("%s: refused %+v (event %+v), want %q", what, p.CustomRefused, evRefused, refused)
				}
				for i, src := range refused {
					if p.CustomRefused[i].Source != src || evRefused[i].Source != src || !strings.Contains(a.logs.String(), "source="+src) {
						t.Fatalf("%s: refusal %+v, want source %q\n%s", what, p.CustomRefused[i], src, a.logs)
					}
				}
			}

			// SAML: strings, a multi-valued attribute for the list.
			p := login(idpsim.User{Email: "jane@example.com", Attributes: map[string][]string{
				"Department": {"Research"}, "urn:oid:2.16.840.1.113730.3.1.3": {"1042"}, "projects": {"apollo", "gemini"}, "remote": {"true"},
			}}, false)
			check("SAML", p, store.CustomValues{"department": "Research", "employee_number": int64(1042), "projects": []string{"apollo", "gemini"}})

			// OIDC: claims of JSON types.
			p = login(idpsim.User{Email: "jane@example.com", Claims: map[string]any{
				"department": "Sales", "employee_number": 77, "remote": true, "projects": []string{"x"},
			}}, true)
			check("OIDC", p, store.CustomValues{"department": "Sales", "employee_number": int64(77), "remote": true, "projects": []string{"x"}})

			// Bad values are left out and recorded; the login goes on.
			p = login(idpsim.User{Email: "jane@example.com", Attributes: map[string][]string{
				"Department": {"A", "B"}, "urn:oid:2.16.840.1.113730.3.1.3": {"n/a"}, "projects": {"p"},
			}}, false)
			check("SAML refusals", p, store.CustomValues{"projects": []string{"p"}}, "Department", "urn:oid:2.16.840.1.113730.3.1.3")
			p = login(idpsim.User{Email: "jane@example.com", Claims: map[string]any{
				"employee_number": 1e30, "remote": "maybe", "department": "Ops",
			}}, true)
			check("OIDC refusals", p, store.CustomValues{"department": "Ops"}, "employee_number", "remote")

			// A provisioned user's values come from the directory; the IdP
			// fills the fields the directory does not hold.
			if err := st.CreateDirectory(ctx, &store.Directory{ID: "dir_a", OrgID: testOrg, Provider: "okta", Name: "Okta", State: store.DirectoryActive, CreatedAt: testNow, UpdatedAt: testNow}); err != nil {
				t.Fatal(err)
			}
			if err := st.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: "dusr_jane", DirectoryID: "dir_a", UserName: "jane@example.com", Active: true,
				Emails: []store.Email{{Value: "jane@example.com", Primary: true}}, Custom: store.CustomValues{"department": "From directory", "employee_number": int64(5)},
				CreatedAt: testNow, UpdatedAt: testNow}); err != nil {
				t.Fatal(err)
			}
			p = login(idpsim.User{Email: "jane@example.com", Claims: map[string]any{"department": "Sales", "remote": false}}, true)
			check("directory first", p, store.CustomValues{"department": "From directory", "employee_number": int64(5), "remote": false})
		})
	}
}

// TestCustomAttributesUnconfigured: without declared fields, Profile.Custom
// stays nil whatever the IdP sends and the mappings say.
func TestCustomAttributesUnconfigured(t *testing.T) {
	t.Parallel()
	a := newApp(t, memstore.New(), true)
	idp := newSim(t)
	addSimConnection(t, a, idp, "conn_sim", idpsim.PresetOkta, idpsim.SignBoth)
	if err := a.st.SetAttributeMappings(context.Background(), testOrg, []store.AttributeMapping{{OrgID: testOrg, Field: "department", SAMLAttribute: "Department"}}); err != nil {
		t.Fatal(err)
	}
	if err := idp.SetAutoLogin(&idpsim.AutoLogin{User: idpsim.User{Email: "jane@example.com", Attributes: map[string][]string{"Department": {"R"}}}}); err != nil {
		t.Fatal(err)
	}
	samlRoundTrip(t, a, newClient(), "conn_sim")
	if ls := a.logins(); len(ls) != 1 || ls[0].Custom != nil {
		t.Fatalf("logins %+v\n%s", ls, a.logs)
	}
}
