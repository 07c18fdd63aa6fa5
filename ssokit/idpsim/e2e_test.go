package idpsim

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/crewjam/saml"
)

// TestRoundTripWithAnSPApp runs a small SP application built on crewjam's
// ServiceProvider on its own httptest server and drives a browserless login
// through both servers: app -> IdP (redirect binding) -> auto-post form ->
// app ACS. This is how a service provider's tests use the simulator.
func TestRoundTripWithAnSPApp(t *testing.T) {
	idp := NewServer(t, func(c *Config) {
		ks, cs := testKeys()
		c.Key, c.Certificate = ks[0], cs[0]
		c.Logger = quietLogger(t)
	})
	mux := http.NewServeMux()
	app := httptest.NewServer(mux)
	defer app.Close()
	ks, cs := testKeys()
	md, err := idp.metadataXML()
	if err != nil {
		t.Fatal(err)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(md, &ed); err != nil {
		t.Fatal(err)
	}
	acs, _ := url.Parse(app.URL + "/saml/acs")
	sp := &saml.ServiceProvider{EntityID: app.URL + "/saml/metadata", Key: ks[1], Certificate: cs[1], AcsURL: *acs, IDPMetadata: &ed}
	if err := idp.RegisterSP(SP{EntityID: sp.EntityID, ACSURL: acs.String(), Certificate: cs[1], Encrypt: true, Preset: PresetEntra}); err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		req, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
		if err != nil {
			http.Error(w, "error", 500)
			return
		}
		u, _ := req.Redirect("/home", sp)
		http.SetCookie(w, &http.Cookie{Name: "req", Value: req.ID, Path: "/", HttpOnly: true})
		http.Redirect(w, r, u.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /saml/acs", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", 400)
			return
		}
		c, err := r.Cookie("req")
		if err != nil {
			http.Error(w, "no request", 400)
			return
		}
		a, err := sp.ParseResponse(r, []string{c.Value})
		if err != nil {
			t.Logf("ACS refused: %s", privateErr(err))
			http.Error(w, "refused", http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, "hello "+a.Subject.NameID.Value+" relay "+r.PostForm.Get("RelayState"))
	})

	login := func() (int, string) {
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar}
		resp, err := client.Get(app.URL + "/login") // follows to the IdP
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("IdP status %d: %s", resp.StatusCode, page)
		}
		form, err := ParsePostForm(page, resp.Request.URL.String())
		if err != nil {
			t.Fatal(err)
		}
		resp, err = client.PostForm(form.Action, form.Values)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	if err := idp.SetAutoLogin(&AutoLogin{User: User{Email: "ada@corp.com", GivenName: "Ada"}}); err != nil {
		t.Fatal(err)
	}
	if status, body := login(); status != 200 || body != "hello ada@corp.com relay /home" {
		t.Fatalf("login: %d %q", status, body)
	}
	if err := idp.SetAutoLogin(&AutoLogin{User: User{Email: "ada@corp.com"}, Faults: []Fault{FaultWrongAudience}}); err != nil {
		t.Fatal(err)
	}
	if status, body := login(); status != http.StatusForbidden || !strings.Contains(body, "refused") {
		t.Fatalf("faulty login: %d %q", status, body)
	}
	if err := idp.SetAutoLogin(&AutoLogin{Deny: true}); err != nil {
		t.Fatal(err)
	}
	if status, _ := login(); status != http.StatusForbidden {
		t.Fatalf("denied login: %d", status)
	}
}
