package scimkit

import (
	"context"

	"github.com/onboardkit/onboardkit/store"
)

// UserState is what the directories of an organization say about a user.
type UserState int

const (
	// UserUnknown: no directory of the organization has provisioned the
	// email (never provisioned, or deleted).
	UserUnknown UserState = iota
	// UserActive: at least one directory has the user active.
	UserActive
	// UserDeactivated: directories have the user, all of them inactive
	// (active:false). SSO must refuse the login.
	UserDeactivated
)

func (s UserState) String() string {
	switch s {
	case UserActive:
		return "active"
	case UserDeactivated:
		return "deactivated"
	}
	return "unknown"
}

// UserStatus reports whether the directories of the organization provision
// email (matched case-insensitively against userName and emails) as an
// active user. The SSO kit calls it at login: UserDeactivated means the
// customer's IdP deactivated the user and the login must be refused;
// UserUnknown means no directory knows the address (the host decides
// whether directory membership is required). The matching users are
// returned too.
func UserStatus(ctx context.Context, st store.Store, orgID, email string) (UserState, []store.DirectoryUser, error) {
	users, err := st.FindDirectoryUsersByEmail(ctx, orgID, email)
	if err != nil {
		return UserUnknown, nil, err
	}
	if len(users) == 0 {
		return UserUnknown, nil, nil
	}
	for _, u := range users {
		if u.Active {
			return UserActive, users, nil
		}
	}
	return UserDeactivated, users, nil
}
