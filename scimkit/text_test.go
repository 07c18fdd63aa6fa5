package scimkit

import "testing"

// TestLinePath checks which attribute paths hold single-line text, in any
// case and with any indexes.
func TestLinePath(t *testing.T) {
	for path, want := range map[string]bool{
		"userName":          true,
		"USERNAME":          true,
		"externalId":        true,
		"displayName":       true,
		"name.givenName":    true,
		"name.FamilyName":   true,
		"emails[0].value":   true,
		"emails[12].Value":  true,
		"emails.value":      true,
		"emails[0].type":    true,
		"members[3].value":  true,
		"emails[0].display": false,
		"name":              false,
		"userNam":           false,
		"userNames":         false,
		"emails[0]":         false,
		"nickName":          false,
		"title[0]":          false,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value": false,
		"userName\u00e9": false,
	} {
		if got := linePath(path); got != want {
			t.Errorf("linePath(%q) = %v, want %v", path, got, want)
		}
	}
}
