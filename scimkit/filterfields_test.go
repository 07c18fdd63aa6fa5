package scimkit

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// TestFilterAnyAttribute provisions users through SCIM and filters them on
// attributes of the core, enterprise and multi-valued schemas that the
// Store keeps only in the raw document, on every Store.
func TestFilterAnyAttribute(t *testing.T) { forEachStore(t, testFilterAnyAttribute) }

func testFilterAnyAttribute(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	users := []map[string]any{
		{"userName": "alice@example.com", "title": "Engineer", "nickName": "Al", "name": map[string]any{"givenName": "Alice", "middleName": "Mary"},
			"emails":       []any{map[string]any{"value": "alice@example.com", "type": "work", "primary": true}},
			"phoneNumbers": []any{map[string]any{"value": "+1 555 0100", "type": "work"}, map[string]any{"value": "+1 555 0199", "type": "mobile"}},
			"addresses":    []any{map[string]any{"locality": "Paris", "type": "work"}},
			ent:            map[string]any{"employeeNumber": "0042", "department": "R&D", "manager": "mgr-1"}},
		{"userName": "bob@example.com", "title": "Engineering Manager", "userType": "Employee",
			"emails":       []any{map[string]any{"value": "bob@example.com", "type": "work"}, map[string]any{"value": "bob@home.example.com", "type": "home", "primary": "True"}},
			"phoneNumbers": []any{map[string]any{"value": "+44 20 7946", "type": "Work"}},
			"addresses":    []any{map[string]any{"locality": "paris", "type": "home"}},
			ent:            map[string]any{"employeeNumber": "0007", "department": "Sales"}},
		{"userName": "carol@example.com", "active": false},
	}
	names := map[string]string{}
	for _, u := range users {
		u["schemas"] = []any{UserSchemaURI, ent}
		r := e.must(http.StatusCreated, e.do(http.MethodPost, "/Users", e.token, u))
		names[r.str("id")] = r.str("userName")
	}
	list := func(filter string) []string {
		t.Helper()
		r := e.must(http.StatusOK, e.do(http.MethodGet, "/Users?filter="+url.QueryEscape(filter), e.token, nil))
		var got []string
		res, _ := r.get("Resources").([]any)
		for _, x := range res {
			got = append(got, names[x.(map[string]any)["id"].(string)])
		}
		if n, _ := r.get("totalResults").(float64); int(n) != len(got) {
			t.Errorf("%s: totalResults %v, %d resources", filter, r.get("totalResults"), len(got))
		}
		slices.Sort(got)
		return got
	}
	a, b, c := "alice@example.com", "bob@example.com", "carol@example.com"
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`title eq "engineer"`, []string{a}},
		{`title ne "engineer"`, []string{b, c}},
		{`title co "ENGINEER"`, []string{a, b}},
		{`title sw "Eng" and not (title ew "manager")`, []string{a}},
		{`title gt "engineer"`, []string{b}},
		{`title ge "Engineer"`, []string{a, b}},
		{`title lt "engineer"`, []string{c}},
		{`title le "engineer"`, []string{a, c}},
		{`title pr`, []string{a, b}},
		{`nickName eq "al"`, []string{a}},
		{`userType eq "employee"`, []string{b}},
		{`name.middleName pr`, []string{a}},
		{`name pr`, []string{a}},
		{`phoneNumbers.type eq "work"`, []string{a, b}},
		{`phoneNumbers.value sw "+44"`, []string{b}},
		{`phoneNumbers co "0199"`, []string{a}},
		{`addresses.locality eq "PARIS"`, []string{a, b}},
		{`addresses[type eq "work" and locality eq "paris"]`, []string{a}},
		{`addresses[type eq "home"].locality eq "Paris"`, []string{b}},
		{`emails[type eq "work" and primary eq true]`, []string{a}},
		{`emails[type eq "home" and primary eq "True"]`, []string{b}},
		{`emails.primary eq true`, []string{a, b}},
		{`emails.type ne "work"`, []string{b}},
		{`emails[type eq "work"].value eq "BOB@example.com"`, []string{b}},
		{ent + `:employeeNumber eq "0042"`, []string{a}},
		{ent + `:department co "&"`, []string{a}},
		{ent + `:manager.value eq "mgr-1"`, []string{a}},
		// A missing single-valued attribute compares as "", as a missing
		// displayName does.
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:EMPLOYEENUMBER lt "0042"`, []string{b, c}},
		{`emails.type ne "home"`, []string{a, b}},
		{`(title pr or active eq false) and not (` + ent + `:department eq "sales")`, []string{a, c}},
		{`userName eq "bob@example.com" and title co "manager"`, []string{b}},
		{`userName eq "bob@example.com" and title co "nothing"`, nil},
		{`meta.created ge "2026-01-01T00:00:00Z" and title pr`, []string{a, b}},
		// Values are data: no SQL, no patterns.
		{`title eq "x' OR '1'='1"`, nil},
		{`title co "%"`, nil},
		{`title sw "_"`, nil},
	} {
		if got := list(tc.filter); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.filter, got, tc.want)
		}
	}
	for _, f := range []string{
		`favouriteColour eq "blue"`,
		`title eq true`,
		`groups.display eq "Eng"`,
		`password eq "x"`,
		ent + `:shoeSize eq "44"`,
		`emails.primary gt true`,
		`name eq "x"`,
	} {
		r := e.do(http.MethodGet, "/Users?filter="+url.QueryEscape(f), e.token, nil)
		e.scimErr(r, http.StatusBadRequest, "invalidFilter")
	}
	// The same through POST .search.
	r := e.must(http.StatusOK, e.do(http.MethodPost, "/Users/.search", e.token, map[string]any{
		"schemas": []any{searchRequestURI}, "filter": `title eq "Engineer"`,
	}))
	if n, _ := r.get("totalResults").(float64); n != 1 {
		t.Errorf(".search on title: totalResults %v, want 1", r.get("totalResults"))
	}
	// Groups: members.value with every operator, case-exactly.
	var aliceID string
	for id, n := range names {
		if n == a {
			aliceID = id
		}
	}
	e.must(http.StatusCreated, e.do(http.MethodPost, "/Groups", e.token, map[string]any{"schemas": []any{GroupSchemaURI}, "displayName": "Eng",
		"members": []any{map[string]any{"value": aliceID}}}))
	e.must(http.StatusCreated, e.do(http.MethodPost, "/Groups", e.token, map[string]any{"schemas": []any{GroupSchemaURI}, "displayName": "Empty"}))
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`displayName co "N"`, []string{"Eng"}},
		{`members pr`, []string{"Eng"}},
		{`not (members pr)`, []string{"Empty"}},
		{`members.value sw "` + aliceID[:4] + `"`, []string{"Eng"}},
		{`members co "` + aliceID[5:] + `"`, []string{"Eng"}},
		{`members.value ne "` + aliceID + `"`, nil},
		{`members[value eq "` + aliceID + `" or value ew "x"]`, []string{"Eng"}},
	} {
		r := e.must(http.StatusOK, e.do(http.MethodGet, "/Groups?filter="+url.QueryEscape(tc.filter), e.token, nil))
		var got []string
		res, _ := r.get("Resources").([]any)
		for _, x := range res {
			got = append(got, x.(map[string]any)["displayName"].(string))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("groups %s: %v, want %v", tc.filter, got, tc.want)
		}
	}
	// A User's read-only groups, from the memberships.
	r = e.must(http.StatusOK, e.do(http.MethodGet, "/Groups?filter="+url.QueryEscape(`displayName eq "Eng"`), e.token, nil))
	engID := r.str("Resources", "0", "id")
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`groups.value eq "` + engID + `"`, []string{a}},
		{`groups[value eq "` + engID + `"]`, []string{a}},
		{`groups pr`, []string{a}},
		{`not (groups pr)`, []string{b, c}},
	} {
		if got := list(tc.filter); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.filter, got, tc.want)
		}
	}
	e.scimErr(e.do(http.MethodGet, "/Groups?filter="+url.QueryEscape(`title eq "x"`), e.token, nil), http.StatusBadRequest, "invalidFilter")
}
