package session_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/ssokit/session"
	"github.com/onboardkit/onboardkit/store"
)

// TestLiveRoles: a page behind RequireLogin shows the roles a group
// membership change gives the signed-in directory user within CacheTTL,
// without a new login, and the default role once the user leaves the
// mapped group; on every Store.
func TestLiveRoles(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			w := newWorld(t, st, "acme")
			clk := testkit.NewClock(t0)
			rc := &roles.Config{Roles: []roles.Role{{Key: "admin"}, {Key: "member"}}, Default: "member"}
			m, err := session.New(session.Config{Store: st, Now: clk.Now, CacheTTL: time.Second, Roles: rc})
			must(t, err)
			mux := http.NewServeMux()
			mux.HandleFunc("GET /test/login", func(rw http.ResponseWriter, r *http.Request) {
				p := w.profile()
				p.Roles = rc.Effective(w.ann.Roles)
				m.OnLogin(rw, r, p)
			})
			mux.Handle("/app/", m.RequireLogin(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				p, _ := session.ProfileFromContext(r.Context())
				rw.Write([]byte("roles=" + strings.Join(p.Roles, ",")))
			})))
			a := &app{m: m, h: mux}
			b := newBrowser()
			if rec := b.do(t, a, "GET", "/test/login", "", nil); rec.Code != http.StatusSeeOther {
				t.Fatalf("login: %d", rec.Code)
			}
			page := func(want string) {
				t.Helper()
				if code, body := b.get(t, a, "/app/home"); code != 200 || body != "roles="+want {
					t.Fatalf("page: %d %q, want roles=%s", code, body, want)
				}
			}
			page("member")
			ctx := t.Context()
			must(t, st.SetRoleMappings(ctx, w.org.ID, []store.RoleMapping{{OrgID: w.org.ID, Source: store.RoleFromDirectoryGroup, Value: "grp_admins", Role: "admin"}}))
			g := &store.DirectoryGroup{ID: "grp_admins", DirectoryID: w.dir.ID, DisplayName: "Admins", CreatedAt: t0, UpdatedAt: t0}
			must(t, st.CreateDirectoryGroup(ctx, g, []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{w.ann.ID}}}, nil))
			page("member") // within CacheTTL of the last read
			clk.Add(time.Second)
			page("admin")
			_, err = st.UpdateDirectoryGroup(ctx, w.dir.ID, g.ID, func(*store.DirectoryGroup) ([]store.MemberOp, error) {
				return []store.MemberOp{{Kind: store.MembersRemove, IDs: []string{w.ann.ID}}}, nil
			}, nil)
			must(t, err)
			clk.Add(time.Second)
			page("member")
			// A deactivation ends the session within CacheTTL.
			_, err = st.UpdateDirectoryUser(ctx, w.dir.ID, w.ann.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
				u.Active = false
				return nil, nil
			})
			must(t, err)
			clk.Add(time.Second)
			if rec := b.do(t, a, "GET", "/app/home", "", nil); rec.Code != http.StatusSeeOther {
				t.Fatalf("after deactivation: %d %q", rec.Code, rec.Body.String())
			}
		})
	}
}
