package scimkit

import (
	"context"
	"fmt"
	"net/http"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/onboardkit/onboardkit/store"
)

// ChangeKind says what a Change does.
type ChangeKind string

const (
	UserCreate  ChangeKind = "user.create"
	UserUpdate  ChangeKind = "user.update"
	UserDelete  ChangeKind = "user.delete"
	GroupCreate ChangeKind = "group.create"
	GroupUpdate ChangeKind = "group.update"
	GroupDelete ChangeKind = "group.delete"
)

// Change is a user or group change about to be written, as shown to
// Config.BeforeChange. The values are copies; changing them has no effect.
type Change struct {
	Kind      ChangeKind
	Directory *store.Directory

	// User is the user after the change (nil for UserDelete);
	// PreviousUser the user before it (nil for UserCreate).
	User, PreviousUser *store.DirectoryUser

	// Group and PreviousGroup are the same for groups. MemberOps are the
	// membership changes requested, in order (for GroupCreate, the
	// initial members as one MembersAdd).
	Group, PreviousGroup *store.DirectoryGroup
	MemberOps            []store.MemberOp
}

// RefusalError is returned by Config.BeforeChange to refuse a change. The
// IdP receives a SCIM error with Status (a 4xx; anything else becomes
// 403), ScimType (optional, e.g. "invalidValue") and Detail, which the
// host chooses and the IdP's admin will read.
type RefusalError struct {
	Status   int
	ScimType string
	Detail   string
}

// Error returns the detail the host gave for refusing the change.
func (e *RefusalError) Error() string {
	return fmt.Sprintf("scimkit: change refused (%d %s): %s", e.Status, e.ScimType, e.Detail)
}

func (e *RefusalError) scim() scimerrors.ScimError {
	st := e.Status
	if st < 400 || st > 499 {
		st = http.StatusForbidden
	}
	return scimerrors.ScimError{Status: st, ScimType: scimerrors.ScimType(e.ScimType), Detail: e.Detail}
}

func (s *Server) before(ctx context.Context, c *Change) error {
	if s.hook == nil {
		return nil
	}
	return s.hook(ctx, c)
}
