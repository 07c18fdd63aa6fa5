package roles

import (
	"slices"
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

func TestForLogin(t *testing.T) {
	maps := []store.RoleMapping{
		{OrgID: "org", Source: store.RoleFromIdPGroup, Value: "Admins", Role: "admin"},
		{OrgID: "org", Source: store.RoleFromIdPGroup, Value: "Ops", Role: "admin"},
		{OrgID: "org", Source: store.RoleFromIdPGroup, Value: "Eng", Role: "editor"},
		{OrgID: "org", Source: store.RoleFromDirectoryGroup, Value: "Viewers", Role: "viewer"},
	}
	cfg := Config{Roles: []Role{{Key: "admin"}, {Key: "editor"}, {Key: "viewer"}, {Key: "member"}}, Default: "member"}
	pass := cfg
	pass.PassThrough = true
	noDefault := cfg
	noDefault.Default = ""
	for _, tc := range []struct {
		name   string
		cfg    Config
		user   *store.DirectoryUser
		groups []string
		want   []string
	}{
		{"directory user's roles", cfg, &store.DirectoryUser{Roles: []string{"viewer"}}, []string{"Admins"}, []string{"viewer"}},
		{"directory user without roles gets the default", cfg, &store.DirectoryUser{}, []string{"Admins"}, []string{"member"}},
		{"IdP groups mapped", cfg, nil, []string{"Ops", "Admins", "Eng", "Other"}, []string{"admin", "editor"}},
		{"a directory-group mapping is not an IdP mapping", cfg, nil, []string{"Viewers"}, []string{"member"}},
		{"no group gives the default", cfg, nil, nil, []string{"member"}},
		{"no default gives none", noDefault, nil, []string{"Other"}, nil},
		{"pass-through keeps unmapped values", pass, nil, []string{"Other", "Eng"}, []string{"Other", "editor"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.ForLogin(tc.user, tc.groups, maps); !slices.Equal(got, tc.want) {
				t.Errorf("ForLogin = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{}, true},
		{Config{Roles: []Role{{Key: "a"}}, Default: "a"}, true},
		{Config{Roles: []Role{{Key: "a"}}, Default: "b"}, false},
		{Config{Roles: []Role{{Key: "a"}, {Key: "a"}}}, false},
		{Config{Roles: []Role{{Key: ""}}}, false},
	} {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v", tc.cfg, err)
		}
	}
}
