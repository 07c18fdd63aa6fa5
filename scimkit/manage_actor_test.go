package scimkit

import (
	"context"
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

// directoryLifecycle is the method set the admin portal calls to switch a
// directory on and off; *Server must have it with these exact signatures.
type directoryLifecycle interface {
	ActivateDirectory(ctx context.Context, id, actor string) (*store.Directory, error)
	DeactivateDirectory(ctx context.Context, id, actor string) (*store.Directory, error)
}

var _ directoryLifecycle = (*Server)(nil)

func TestDirectoryLifecycleRecordsActor(t *testing.T) {
	ctx := context.Background()
	steps := []struct {
		name      string
		call      func(*Server) func(context.Context, string, string) (*store.Directory, error)
		actor     string
		wantState store.DirectoryState
		wantEvent string // "" when the call changes nothing
		wantActor string
	}{
		{"deactivate by operator", func(s *Server) func(context.Context, string, string) (*store.Directory, error) {
			return s.DeactivateDirectory
		}, "operator:alice", store.DirectoryInactive, EventDirectoryInactive, "operator:alice"},
		{"deactivate again is a no-op", func(s *Server) func(context.Context, string, string) (*store.Directory, error) {
			return s.DeactivateDirectory
		}, "operator:bob", store.DirectoryInactive, "", ""},
		{"activate from the portal", func(s *Server) func(context.Context, string, string) (*store.Directory, error) {
			return s.ActivateDirectory
		}, "portal:link_1", store.DirectoryActive, EventDirectoryActive, "portal:link_1"},
		{"deactivate without actor", func(s *Server) func(context.Context, string, string) (*store.Directory, error) {
			return s.DeactivateDirectory
		}, "", store.DirectoryInactive, EventDirectoryInactive, "system"},
		{"activate without actor", func(s *Server) func(context.Context, string, string) (*store.Directory, error) {
			return s.ActivateDirectory
		}, "", store.DirectoryActive, EventDirectoryActive, "system"},
	}
	e := newTestEnv(t, nil)
	for _, tc := range steps {
		t.Run(tc.name, func(t *testing.T) {
			after := e.cursor()
			d, err := tc.call(e.srv)(ctx, e.dir.ID, tc.actor)
			if err != nil {
				t.Fatal(err)
			}
			if d.State != tc.wantState {
				t.Fatalf("state %q, want %q", d.State, tc.wantState)
			}
			evs, _ := e.events(after)
			if tc.wantEvent == "" {
				if len(evs) != 0 {
					t.Fatalf("events %v, want none", eventTypes(evs))
				}
				return
			}
			if len(evs) != 1 || evs[0].Type != tc.wantEvent || evs[0].Actor != tc.wantActor || evs[0].Subject != e.dir.ID || evs[0].OrgID != e.org.ID {
				t.Fatalf("events %+v, want one %s by %s", evs, tc.wantEvent, tc.wantActor)
			}
		})
	}
	if _, err := e.srv.ActivateDirectory(ctx, "dir_missing", "operator:alice"); err == nil {
		t.Fatal("activating an unknown directory succeeded")
	}
}
