package scimkit

import (
	"context"
	"errors"

	"github.com/onboardkit/onboardkit/store"
)

// UserState is what the directories of an organization say about a user.
type UserState int

const (
	// UserUnknown: no active directory of the organization has
	// provisioned the email (never provisioned, deleted, or known only to
	// directories that are switched off).
	UserUnknown UserState = iota
	// UserActive: at least one active directory has the user active.
	UserActive
	// UserDeactivated: active directories have the user, all of them
	// with active:false. SSO must refuse the login.
	UserDeactivated
)

// String names the state.
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
// UserUnknown means no active directory knows the address (the host
// decides whether directory membership is required).
//
// Only directories whose state is store.DirectoryActive are consulted:
// the copies kept by a switched-off directory no longer change (after a
// move from one IdP to another, the old directory's active copy must not
// outweigh a deactivation in the live one). The users of the active
// directories that match are returned too.
func UserStatus(ctx context.Context, st UserStatusStore, orgID, email string) (UserState, []store.DirectoryUser, error) {
	found, err := st.FindDirectoryUsersByEmail(ctx, orgID, email)
	if err != nil {
		return UserUnknown, nil, err
	}
	live := map[string]bool{}
	var users []store.DirectoryUser
	for _, u := range found {
		ok, seen := live[u.DirectoryID]
		if !seen {
			d, err := st.GetDirectory(ctx, u.DirectoryID)
			switch {
			case err == nil:
				ok = d.State == store.DirectoryActive && d.OrgID == orgID
			case errors.Is(err, store.ErrNotFound):
				ok = false
			default:
				return UserUnknown, nil, err
			}
			live[u.DirectoryID] = ok
		}
		if ok {
			users = append(users, u)
		}
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
