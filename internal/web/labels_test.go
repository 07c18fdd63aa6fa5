package web

import "testing"

// TestProviderLabel: a provider shows by its real name; one the library
// does not know by name is "another" provider, never "Custom".
func TestProviderLabel(t *testing.T) {
	for in, want := range map[string]string{"okta": "Okta", "generic": "Other identity provider", "": "Other identity provider"} {
		if got := ProviderLabel(in); got != want {
			t.Errorf("ProviderLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
