package scimsim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestGenerateIsDeterministic(t *testing.T) {
	spec := SyncSpec{Users: 30, Groups: 4, Domain: "Acme.test", Seed: 7}
	a, err := Generate(Entra, spec)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(Entra, spec)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different directories")
	}
	c, _ := Generate(Entra, SyncSpec{Users: 30, Groups: 4, Domain: "acme.test", Seed: 8})
	if reflect.DeepEqual(a.Users, c.Users) {
		t.Fatal("different seeds, same users")
	}
	if a.Users[0].UserName != "user0001@acme.test" || a.Users[29].UserName != "user0030@acme.test" {
		t.Fatalf("userNames %q %q", a.Users[0].UserName, a.Users[29].UserName)
	}
	if a.Managers[0] != -1 || a.Managers[5] != 0 || a.Managers[13] != 10 {
		t.Fatalf("managers %v", a.Managers)
	}
	if !strings.HasPrefix(a.Groups[1].DisplayName, "Design 002") || a.Groups[0].ExternalID == "" {
		t.Fatalf("groups %+v", a.Groups)
	}
	members := 0
	for _, m := range a.Members {
		members += len(m)
	}
	if members != 30+6 {
		t.Fatalf("%d memberships, want 36", members)
	}
	o, _ := Generate(Okta, SyncSpec{Users: 12000, Seed: 1})
	if o.Users[11999].UserName != "user12000@example.com" || !strings.HasPrefix(o.Users[0].ExternalID, "00u") || len(o.Users[0].ExternalID) != 20 {
		t.Fatalf("okta users %q %q", o.Users[11999].UserName, o.Users[0].ExternalID)
	}
}

func TestSyncSpecValidation(t *testing.T) {
	tests := []struct {
		name string
		d    Dialect
		spec SyncSpec
	}{
		{"negative users", Okta, SyncSpec{Users: -1}},
		{"too many users", Okta, SyncSpec{Users: 100001}},
		{"too many groups", Okta, SyncSpec{Groups: 10001}},
		{"updates above users", Okta, SyncSpec{Users: 2, Updates: 3}},
		{"deactivations above users", Entra, SyncSpec{Users: 2, Deactivations: 3}},
		{"deletions above deactivations", Entra, SyncSpec{Users: 5, Deactivations: 1, Deletions: 2}},
		{"okta deletions", Okta, SyncSpec{Users: 5, Deactivations: 2, Deletions: 1}},
		{"bad domain", Okta, SyncSpec{Users: 1, Domain: "a@b.com"}},
		{"domain without dot", Okta, SyncSpec{Users: 1, Domain: "localhost"}},
		{"unknown dialect", "google", SyncSpec{Users: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Generate(tt.d, tt.spec); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestFullSyncAgainstFake(t *testing.T) {
	for _, d := range []Dialect{Okta, Entra} {
		t.Run(string(d), func(t *testing.T) {
			f, srv := newFake(t)
			c := newTestClient(t, d, srv.URL, nil)
			spec := SyncSpec{Users: 25, Groups: 3, Seed: 42, Updates: 5, Deactivations: 4, MemberRemovals: 3, MemberBatch: 4}
			if d == Entra {
				spec.Deletions = 2
			}
			var phases []string
			last := map[string]Progress{}
			spec.Progress = func(p Progress) {
				if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
					phases = append(phases, p.Phase)
				}
				last[p.Phase] = p
			}
			rep, err := c.FullSync(context.Background(), spec)
			if err != nil {
				t.Fatalf("FullSync: %v (failures %v)", err, rep.Failures)
			}
			if len(rep.Failures) != 0 {
				t.Fatalf("failures %v", rep.Failures)
			}
			want := SyncReport{UsersCreated: 25, GroupsCreated: 3, MembersAdded: 30, MembersRemoved: 3, UsersUpdated: 5, UsersDeactivated: 4, UsersDeleted: spec.Deletions}
			if rep.UsersCreated != want.UsersCreated || rep.GroupsCreated != want.GroupsCreated || rep.MembersAdded != want.MembersAdded ||
				rep.MembersRemoved != want.MembersRemoved || rep.UsersUpdated != want.UsersUpdated || rep.UsersDeactivated != want.UsersDeactivated ||
				rep.UsersDeleted != want.UsersDeleted || rep.UsersMatched != 0 {
				t.Fatalf("report %+v", rep)
			}
			if rep.Requests != len(f.requests()) || rep.Requests != c.Requests() || !rep.Finished.After(rep.Started) {
				t.Fatalf("report requests %d, server saw %d", rep.Requests, len(f.requests()))
			}
			wantPhases := []string{"connection", "users", "groups", "members", "updates", "removals", "deactivations"}
			if d == Entra {
				wantPhases = append(wantPhases, "deletions")
			}
			wantPhases = append(wantPhases, "done")
			if !reflect.DeepEqual(phases, wantPhases) {
				t.Fatalf("phases %v, want %v", phases, wantPhases)
			}
			if p := last["users"]; p.Done != 25 || p.Total != 25 {
				t.Fatalf("users progress %+v", p)
			}
			if p := last["members"]; p.Done != 30 || p.Total != 30 {
				t.Fatalf("members progress %+v", p)
			}

			// The server's state matches the report.
			f.mu.Lock()
			inactive := 0
			for _, u := range f.users {
				if u["active"] == false {
					inactive++
				}
			}
			members := 0
			for _, g := range f.groups {
				l, _ := g["members"].([]any)
				members += len(l)
			}
			nUsers := len(f.users)
			f.mu.Unlock()
			if nUsers != 25-spec.Deletions || inactive != 4-spec.Deletions || members != 27 {
				t.Fatalf("server: %d users, %d inactive, %d memberships", nUsers, inactive, members)
			}

			// Dialect-specific traffic.
			var puts, patches, deletes int
			for _, r := range f.requests() {
				checkCommonHeaders(t, r, d)
				switch r.Method {
				case http.MethodPut:
					puts++
				case http.MethodPatch:
					patches++
				case http.MethodDelete:
					deletes++
				}
			}
			if d == Okta && (puts != 5 || deletes != 0) || d == Entra && (puts != 0 || deletes != 2) {
				t.Fatalf("%s sent %d PUT, %d DELETE", d, puts, deletes)
			}

			// A second full sync finds everything and creates nothing.
			rep2, err := c.FullSync(context.Background(), SyncSpec{Users: 25, Groups: 3, Seed: 42, SkipConnectionTest: true})
			if err != nil {
				t.Fatal(err)
			}
			if rep2.UsersCreated != spec.Deletions || rep2.UsersMatched != 25-spec.Deletions || rep2.GroupsCreated != 0 || rep2.GroupsMatched != 3 {
				t.Fatalf("second sync %+v", rep2)
			}
		})
	}
}

func TestFullSyncStopsAfterTooManyFailures(t *testing.T) {
	f, srv := newFake(t)
	f.override = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost {
			f.scimError(w, 500, "", "database down")
			return true
		}
		return false
	}
	c := newTestClient(t, Okta, srv.URL, nil)
	rep, err := c.FullSync(context.Background(), SyncSpec{Users: 50, MaxFailures: 3})
	if !errors.Is(err, ErrTooManyFailures) {
		t.Fatalf("err = %v", err)
	}
	if len(rep.Failures) != 4 || rep.UsersCreated != 0 {
		t.Fatalf("report %+v", rep)
	}
	var se *Error
	if !errors.As(rep.Failures[0].Err, &se) || se.Status != 500 || se.Detail != "database down" {
		t.Fatalf("failure %v", rep.Failures[0])
	}
}

func TestFullSyncConnectionTestFailure(t *testing.T) {
	f, srv := newFake(t)
	f.token = "another token"
	c := newTestClient(t, Entra, srv.URL, nil)
	rep, err := c.FullSync(context.Background(), SyncSpec{Users: 5})
	var se *Error
	if !errors.As(err, &se) || se.Status != 401 {
		t.Fatalf("err = %v", err)
	}
	if rep.Requests != 1 || len(f.requests()) != 1 {
		t.Fatalf("sync went on after a failed connection test: %d requests", rep.Requests)
	}
}

func TestFullSyncCancelled(t *testing.T) {
	_, srv := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	c := newTestClient(t, Okta, srv.URL, nil)
	n := 0
	_, err := c.FullSync(ctx, SyncSpec{Users: 100, Progress: func(p Progress) {
		if p.Phase == "users" {
			if n++; n == 3 {
				cancel()
			}
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if c.Requests() > 10 {
		t.Fatalf("%d requests after cancel", c.Requests())
	}
}

func TestFullSyncConcurrent(t *testing.T) {
	for _, d := range []Dialect{Okta, Entra} {
		t.Run(string(d), func(t *testing.T) {
			f, srv := newFake(t)
			c := newTestClient(t, d, srv.URL, nil)
			var last Progress
			rep, err := c.FullSync(context.Background(), SyncSpec{Users: 60, Groups: 3, Seed: 9, Concurrency: 8,
				Progress: func(p Progress) {
					if p.Phase == "users" {
						if p.Done != last.Done+1 {
							t.Errorf("progress went from %d to %d", last.Done, p.Done)
						}
						last = p
					}
				}})
			if err != nil || len(rep.Failures) != 0 || rep.UsersCreated != 60 || last.Done != 60 {
				t.Fatalf("FullSync: %v, %+v", err, rep)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.users) != 60 {
				t.Fatalf("%d users on the server", len(f.users))
			}
			for i := 1; i <= 60; i++ {
				id := rep.UserIDs[fmt.Sprintf("user%04d@example.com", i)]
				ext, _ := f.users[id][SchemaEnterpriseUser].(map[string]any)
				mgr := managerID(Resource(ext))
				want := ""
				if (i-1)%10 != 0 {
					want = rep.UserIDs[fmt.Sprintf("user%04d@example.com", i-(i-1)%10)]
				}
				if mgr != want {
					t.Fatalf("user %d: manager %q, want %q", i, mgr, want)
				}
			}
		})
	}
}
