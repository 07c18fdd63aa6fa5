package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/onboardkit/onboardkit/gworkspace"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
)

// directoryAndDomainRoutes registers the pages of the directory-sync and
// domains sections.
func (p *Portal) directoryAndDomainRoutes() {
	p.directoryRoutes()
	p.domainsRoutes()
}

// directoryRoutes registers the directory-sync section. Every route under
// /directory-sync/{dir} loads the directory and refuses (404) one that is
// not the session's organization's.
func (p *Portal) directoryRoutes() {
	f := store.FeatureDirSync
	p.page("GET /directory-sync", f, p.directoryIndex)
	p.page("POST /directory-sync", f, p.directoryCreate)
	p.page("GET /directory-sync/{dir}", f, p.withDirectory(p.directoryDetail))
	p.page("POST /directory-sync/{dir}/tokens", f, p.withDirectory(p.directoryRotateToken))
	p.page("GET /directory-sync/{dir}/tokens/{token}/revoke", f, p.withDirectory(p.directoryRevokeConfirm))
	p.page("POST /directory-sync/{dir}/tokens/{token}/revoke", f, p.withDirectory(p.directoryRevokeToken))
	p.page("POST /directory-sync/{dir}/activate", f, p.withDirectory(p.directorySetState(true)))
	p.page("GET /directory-sync/{dir}/deactivate", f, p.withDirectory(p.directoryDeactivateConfirm))
	p.page("POST /directory-sync/{dir}/deactivate", f, p.withDirectory(p.directorySetState(false)))
	p.page("POST /directory-sync/{dir}/simulate", f, p.withDirectory(p.directorySimulate))
	p.page("POST /directory-sync/{dir}/google/settings", f, p.withDirectory(p.googleSettings))
	p.page("POST /directory-sync/{dir}/google/key", f, p.withDirectory(p.googleKey))
	p.page("POST /directory-sync/{dir}/google/test", f, p.withDirectory(p.googleTest))
	p.page("POST /directory-sync/{dir}/google/sync", f, p.withDirectory(p.googleSyncNow))
	p.page("GET /directory-sync/{dir}/users", f, p.withDirectory(p.directoryUsers))
	p.page("GET /directory-sync/{dir}/groups", f, p.withDirectory(p.directoryGroups))
	p.page("GET /directory-sync/{dir}/groups/{group}", f, p.withDirectory(p.directoryGroup))
}

// directoryProviders are the providers offered when creating a directory,
// in the order shown.
var directoryProviderIDs = []string{"okta", "entra", "google", "onelogin", "jumpcloud", "ping", "generic"}

// dirPageSize is how many users or groups a browsing page shows.
const dirPageSize = 25

// maxSearchLen bounds a search string.
const maxSearchLen = 200

// dirHandler is a page handler for one directory of the session's
// organization.
type dirHandler func(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory)

// withDirectory loads the directory of the path and checks that it belongs
// to the session's organization; any other id is "not found", whether it
// exists elsewhere or not.
func (p *Portal) withDirectory(h dirHandler) sessionHandler {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		id := r.PathValue("dir")
		d, err := p.st.GetDirectory(r.Context(), id)
		switch {
		case errors.Is(err, store.ErrNotFound) || (err == nil && d.OrgID != s.org.ID):
			if err == nil {
				p.log.WarnContext(r.Context(), "portal: directory of another organization refused", "session_id", s.s.ID, "org_id", s.org.ID, "directory_id", id, "directory_org_id", d.OrgID)
			}
			p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
			return
		case err != nil:
			p.serverError(w, r, "loading directory", err)
			return
		}
		h(w, r, s, d)
	}
}

// actor is the Actor recorded in the events of a change made in a session.
func (s *session) actor() string { return "portal:" + s.s.ID }

// ----- Index and creation -----

type dirIndexData struct {
	Directories []dirRow
	Links       []string // detail page of each directory, parallel to Directories
	CanCreate   bool     // Config.SCIM is set
	Action      string
	Providers   []providerOption
	Error       string // the name field's problem
	Name        string
	FormToken   string
}

type providerOption struct {
	ID       string
	Label    string
	Selected bool
}

func (p *Portal) providerOptions(selected string) []providerOption {
	out := make([]providerOption, 0, len(directoryProviderIDs))
	for _, id := range directoryProviderIDs {
		out = append(out, providerOption{ID: id, Label: directoryProviderLabel(id), Selected: id == selected})
	}
	return out
}

func directoryProviderLabel(id string) string {
	if id == "generic" {
		return "Other SCIM 2.0 provider"
	}
	return web.ProviderLabel(id)
}

func (p *Portal) directoryIndex(w http.ResponseWriter, r *http.Request, s *session) {
	f := p.takeFlash(w, r, s)
	list, err := p.loadDirectories(r.Context(), s.org.ID)
	if err != nil {
		p.serverError(w, r, "loading directories", err)
		return
	}
	dirs, err := p.st.ListDirectories(r.Context(), s.org.ID)
	if err != nil {
		p.serverError(w, r, "loading directories", err)
		return
	}
	d := dirIndexData{
		Directories: list.Directories,
		CanCreate:   p.cfg.SCIM != nil,
		Action:      p.path("/directory-sync"),
		Providers:   p.providerOptions(f.Form["provider"]),
		Error:       f.Errors["name"],
		Name:        f.Form["name"],
		FormToken:   web.NewFormToken(p.rand),
	}
	for _, dir := range dirs {
		d.Links = append(d.Links, p.dirPath(dir.ID, ""))
	}
	v := p.sessionView(r, s, "Directory sync", "/directory-sync")
	v.Errors = f.summary([]string{"provider", "name"}, func(n string) string { return "dir-" + n })
	p.render(w, r, http.StatusOK, directoryIndexPage(v, d))
}

// dirPath is the path of a directory's page, or of a page under it.
func (p *Portal) dirPath(id, rel string) string {
	return p.path("/directory-sync/" + url.PathEscape(id) + rel)
}

// directoryCreate creates a directory for the chosen provider and its first
// token, and shows the directory's page with the token, once.
func (p *Portal) directoryCreate(w http.ResponseWriter, r *http.Request, s *session) {
	index := p.path("/directory-sync")
	if p.cfg.SCIM == nil {
		p.redirect(w, r, s, index, &flash{Alert: "Directory sync isn't available here yet. Ask your provider to turn it on."})
		return
	}
	provider := r.PostForm.Get("provider")
	name := strings.TrimSpace(r.PostForm.Get("name"))
	fail := func(field, msg string, keep map[string]string) {
		p.redirect(w, r, s, index, &flash{ErrForm: "create", Errors: map[string]string{field: msg}, Form: keep})
	}
	valid := false
	for _, id := range directoryProviderIDs {
		valid = valid || id == provider
	}
	switch {
	case !valid:
		fail("provider", "Choose your directory provider.", map[string]string{"name": name})
		return
	case len(name) > 100:
		fail("name", "The name can be at most 100 characters long.", map[string]string{"provider": provider})
		return
	}
	var te *store.TextError
	if errors.As(store.ValidateLine("name", name), &te) {
		// The Stores' rule for text; the name is not shown back.
		fail("name", "The name "+te.Reason+".", map[string]string{"provider": provider})
		return
	}
	if name == "" {
		name = web.ProviderLabel(provider) + " directory"
	}
	ctx := r.Context()
	if provider == gworkspace.Provider && p.admin.GoogleEnabled() {
		p.googleCreate(w, r, s, name)
		return
	}
	nd, err := p.admin.CreateDirectory(ctx, s.org.ID, admin.DirectoryInput{Provider: provider, Name: name, IdempotencyKey: idempotencyKey(r, s)}, s.actor())
	if err != nil {
		p.serverError(w, r, "creating directory", err)
		return
	}
	d := nd.Directory
	p.log.InfoContext(ctx, "portal: directory created", "session_id", s.s.ID, "org_id", s.org.ID, "directory_id", d.ID, "provider", provider, "replayed", nd.Replayed)
	p.redirect(w, r, s, p.dirPath(d.ID, ""), &flash{Token: nd.Token, Created: true, Replayed: nd.Replayed})
}

// ----- Detail -----

// dirNotice is what a page rendered after a change shows on top of the
// directory's state.
type dirNotice struct {
	NewToken string // shown once, just created
	Created  bool
	// Replayed: the form was posted again, and its first post created the
	// directory or token (whose secret that post's page showed).
	Replayed bool
	Message  string
	Error    string
	Events   []UIEvent
	Sim      *simResult
}

type dirDetailData struct {
	Dir         dirRow
	ID          string
	ProviderID  string
	Endpoint    string // "" without Config.SCIM
	Notice      dirNotice
	Guide       providerGuide
	Tokens      []tokenRow
	ActiveCount int
	CanManage   bool // Config.SCIM is set
	CanRotate   bool
	RotateURL   string
	ActivateURL string
	Deactivate  string
	Active      bool
	UsersURL    string
	GroupsURL   string
	Activity    dirActivity
	FormToken   string // the token creation form's idempotency key
	SimulateURL string // "" unless Config.SimulatedSync
	BackURL     string
	Google      *googleView // a Google Workspace directory synced by Config.Google
}

type tokenRow struct {
	Hint      string
	Added     stamp
	LastUsed  stamp  // unset when never used
	Expires   stamp  // unset when it does not expire
	State     string // active, revoked, expired
	Label     string
	RevokeURL string
}

// dirActivity is the "test sync" view: what the directory's SCIM endpoint
// has received so far, as the Store shows it.
type dirActivity struct {
	Users         int
	ActiveUsers   int
	Groups        int
	LastUsed      stamp // the most recent use of any token, unset if never
	Counts        []eventCount
	Recent        []activityRow
	Scanned       int  // how many of the organization's latest events were looked at
	ScanTruncated bool // older events exist beyond the scan
}

type eventCount struct {
	Type  string
	Label string
	N     int
}

type activityRow struct {
	At      stamp
	Type    string
	Label   string
	Subject string
	data    eventData
}

func (p *Portal) directoryDetail(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	f := p.takeFlash(w, r, s)
	n := dirNotice{Message: f.Notice, Error: f.Alert, NewToken: f.Token, Created: f.Created, Replayed: f.Replayed, Events: f.Events, Sim: f.Sim}
	n = p.googleNotice(r, n)
	p.renderDirectoryDetail(w, r, s, d, http.StatusOK, n)
}

func (p *Portal) renderDirectoryDetail(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory, status int, n dirNotice) {
	ctx := r.Context()
	dd, err := p.loadDirectoryDetail(ctx, d, n)
	if err != nil {
		p.serverError(w, r, "loading directory", err)
		return
	}
	dd.FormToken = web.NewFormToken(p.rand)
	v := p.sessionView(r, s, dd.Dir.Name, "/directory-sync")
	v.Events = append(v.Events, n.Events...)
	if n.Error != "" {
		v.Errors = []web.FieldError{{Message: n.Error}}
	}
	p.render(w, r, status, directoryDetailPage(v, dd))
}

func (p *Portal) loadDirectoryDetail(ctx context.Context, d *store.Directory, n dirNotice) (dirDetailData, error) {
	now := p.now().UTC()
	dd := dirDetailData{
		Dir: dirRow{
			Name:     d.Name,
			Provider: web.ProviderLabel(d.Provider),
			State:    string(d.State),
			Label:    web.DirectoryStateLabel(d.State),
		},
		ID:          d.ID,
		ProviderID:  d.Provider,
		Notice:      n,
		Guide:       guideFor(d.Provider),
		CanManage:   p.cfg.SCIM != nil,
		RotateURL:   p.dirPath(d.ID, "/tokens"),
		ActivateURL: p.dirPath(d.ID, "/activate"),
		Deactivate:  p.dirPath(d.ID, "/deactivate"),
		Active:      d.State == store.DirectoryActive,
		UsersURL:    p.dirPath(d.ID, "/users"),
		GroupsURL:   p.dirPath(d.ID, "/groups"),
		BackURL:     p.path("/directory-sync"),
	}
	if dd.Dir.Name == "" {
		dd.Dir.Name = dd.Dir.Provider + " directory"
	}
	if d.Provider == gworkspace.Provider && p.admin.GoogleEnabled() {
		g, err := p.loadGoogle(ctx, d)
		if err != nil {
			return dd, err
		}
		dd.Google = g
	} else if p.cfg.SCIM != nil {
		dd.Endpoint = p.cfg.SCIM.EndpointURL(d.ID)
		if p.cfg.SimulatedSync != nil {
			dd.SimulateURL = p.dirPath(d.ID, "/simulate")
		}
	}
	toks, err := p.st.ListDirectoryTokens(ctx, d.ID)
	if err != nil {
		return dd, fmt.Errorf("listing tokens: %w", err)
	}
	var lastUsed time.Time
	for _, t := range toks {
		if strings.HasPrefix(t.ID, simTokenPrefix) {
			continue
		}
		row := tokenRow{
			Hint:     t.Hint,
			Added:    dayStamp("Added", t.CreatedAt),
			LastUsed: timeStamp("Last used", t.LastUsedAt),
			Expires:  dayStamp("Expires", t.ExpiresAt),
		}
		if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
			row.Expires.Label = "Expired"
		}
		if t.LastUsedAt.After(lastUsed) {
			lastUsed = t.LastUsedAt
		}
		switch {
		case !t.RevokedAt.IsZero():
			row.State, row.Label = "revoked", "Revoked"
		case !t.ActiveAt(now):
			row.State, row.Label = "expired", "Expired"
		default:
			row.State, row.Label = "active", "Active"
			row.RevokeURL = p.dirPath(d.ID, "/tokens/"+url.PathEscape(t.ID)+"/revoke")
			dd.ActiveCount++
		}
		dd.Tokens = append(dd.Tokens, row)
	}
	dd.CanRotate = dd.CanManage && dd.ActiveCount < store.MaxActiveDirectoryTokens
	dd.Activity, err = p.loadActivity(ctx, d)
	if err != nil {
		return dd, err
	}
	dd.Activity.LastUsed = timeStamp("", lastUsed)
	dd.Dir.Users, dd.Dir.Groups = dd.Activity.Users, dd.Activity.Groups
	return dd, nil
}

// Activity scan bounds: the events are read newest first in windows of
// activityWindow cursors, at most activityMaxScan events back.
const (
	activityWindow  = 1000
	activityMaxScan = 20000
	activityRecent  = 20
)

// directoryEventTypes are the event type prefixes of the "test sync" view.
var directoryEventTypes = []string{"directory.user", "directory.group", "directory.membership"}

// loadActivity counts the directory's users and groups and reads its recent
// user, group and membership events. The Store lists events only in cursor
// order with a lower bound, so the newest are found by reading windows of
// cursors backwards from the last one (cursors are gap-free).
func (p *Portal) loadActivity(ctx context.Context, d *store.Directory) (dirActivity, error) {
	var a dirActivity
	var err error
	if _, a.Users, err = p.st.ListDirectoryUsers(ctx, d.ID, store.UserQuery{Limit: 0}); err != nil {
		return a, fmt.Errorf("counting users: %w", err)
	}
	if _, a.ActiveUsers, err = p.st.ListDirectoryUsers(ctx, d.ID, store.UserQuery{Filter: store.Compare{Attr: store.AttrActive, Op: store.OpEq, Value: true}}); err != nil {
		return a, fmt.Errorf("counting active users: %w", err)
	}
	if _, a.Groups, err = p.st.ListDirectoryGroups(ctx, d.ID, store.GroupQuery{Limit: 0}); err != nil {
		return a, fmt.Errorf("counting groups: %w", err)
	}
	last, err := p.st.LastEventCursor(ctx)
	if err != nil {
		return a, fmt.Errorf("reading event cursor: %w", err)
	}
	counts := map[string]int{}
	for hi := last; hi > 0 && a.Scanned < activityMaxScan; hi -= activityWindow {
		lo := max(0, hi-activityWindow)
		evs, err := p.st.ListEvents(ctx, store.EventQuery{After: lo, OrgID: d.OrgID, Types: directoryEventTypes, Limit: activityWindow})
		if err != nil {
			return a, fmt.Errorf("listing events: %w", err)
		}
		a.Scanned += int(hi - lo)
		for i := len(evs) - 1; i >= 0; i-- {
			e := evs[i]
			if e.Cursor > hi {
				continue // appended after LastEventCursor was read, or counted in the previous window
			}
			var data eventData
			if json.Unmarshal(e.Data, &data) != nil || data.DirectoryID != d.ID {
				continue
			}
			counts[e.Type]++
			if len(a.Recent) < activityRecent {
				a.Recent = append(a.Recent, activityRow{At: timeStamp("", e.CreatedAt), Type: e.Type, Label: eventLabel(e.Type), data: data})
			}
		}
		if lo > 0 && a.Scanned >= activityMaxScan {
			a.ScanTruncated = true
		}
	}
	// A membership event names its member by id: the rows show the
	// member's userName (or group name), read once per member.
	names := map[string]string{}
	for i := range a.Recent {
		r := &a.Recent[i]
		if id := r.data.MemberID; id != "" {
			if _, ok := names[id]; !ok {
				names[id] = p.memberName(ctx, d.ID, id)
			}
			r.data.MemberName = names[id]
		}
		r.Subject = r.data.subject()
	}
	for _, t := range []string{
		scimkit.EventUserCreated, scimkit.EventUserUpdated, scimkit.EventUserDeactivated, scimkit.EventUserReactivated, scimkit.EventUserDeleted,
		scimkit.EventGroupCreated, scimkit.EventGroupUpdated, scimkit.EventGroupDeleted,
		scimkit.EventMembershipAdded, scimkit.EventMembershipRemoved,
	} {
		if counts[t] > 0 {
			a.Counts = append(a.Counts, eventCount{Type: t, Label: eventLabel(t), N: counts[t]})
		}
	}
	return a, nil
}

// eventData is what the activity view reads from scimkit's event data.
type eventData struct {
	DirectoryID string `json:"directory_id"`
	UserName    string `json:"user_name"`
	DisplayName string `json:"display_name"`
	GroupName   string `json:"group_display_name"`
	GroupID     string `json:"group_id"`
	MemberID    string `json:"member_id"`
	MemberName  string `json:"-"` // the member's userName or group name, when it still exists
}

// memberName is the userName of the directory's user id, else the name of
// its group id, else "" (deleted since, or never there).
func (p *Portal) memberName(ctx context.Context, dirID, id string) string {
	if u, err := p.st.GetDirectoryUser(ctx, dirID, id); err == nil {
		return u.UserName
	}
	if g, err := p.st.GetDirectoryGroup(ctx, dirID, id); err == nil {
		return g.DisplayName
	}
	return ""
}

func (e eventData) subject() string {
	switch {
	case e.UserName != "":
		return e.UserName
	case e.MemberID != "":
		g := e.GroupName
		if g == "" {
			g = e.GroupID
		}
		m := e.MemberName
		if m == "" {
			m = e.MemberID
		}
		return m + " in " + g
	}
	return e.DisplayName
}

func eventLabel(t string) string {
	switch t {
	case scimkit.EventUserCreated:
		return "User created"
	case scimkit.EventUserUpdated:
		return "User updated"
	case scimkit.EventUserDeactivated:
		return "User deactivated"
	case scimkit.EventUserReactivated:
		return "User reactivated"
	case scimkit.EventUserDeleted:
		return "User deleted"
	case scimkit.EventGroupCreated:
		return "Group created"
	case scimkit.EventGroupUpdated:
		return "Group updated"
	case scimkit.EventGroupDeleted:
		return "Group deleted"
	case scimkit.EventMembershipAdded:
		return "Member added"
	case scimkit.EventMembershipRemoved:
		return "Member removed"
	}
	return t
}

// ----- Tokens -----

// directoryRotateToken creates another token while the current one stays
// valid (two may be active), and shows it once.
func (p *Portal) directoryRotateToken(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	page := p.dirPath(d.ID, "")
	if p.cfg.SCIM == nil {
		p.redirect(w, r, s, page, &flash{Alert: "Tokens can't be managed here."})
		return
	}
	nt, err := p.admin.CreateDirectoryToken(r.Context(), d.ID, admin.TokenInput{IdempotencyKey: idempotencyKey(r, s)}, s.actor())
	if errors.Is(err, admin.ErrConflict) {
		p.log.InfoContext(r.Context(), "portal: token rotation refused: two tokens active", "session_id", s.s.ID, "directory_id", d.ID)
		p.redirect(w, r, s, page, &flash{Alert: "This directory already has two active tokens. Revoke the one your provider no longer uses, then create a new one."})
		return
	}
	if err != nil {
		p.serverError(w, r, "creating directory token", err)
		return
	}
	p.log.InfoContext(r.Context(), "portal: directory token created", "session_id", s.s.ID, "directory_id", d.ID, "token_id", nt.TokenInfo.ID, "replayed", nt.Replayed)
	p.redirect(w, r, s, page+"#new-token", &flash{Token: nt.Token, Replayed: nt.Replayed})
}

// directoryRevokeConfirm asks before revoking a token.
func (p *Portal) directoryRevokeConfirm(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	id := r.PathValue("token")
	toks, err := p.st.ListDirectoryTokens(r.Context(), d.ID)
	if err != nil {
		p.serverError(w, r, "listing tokens", err)
		return
	}
	for _, t := range toks {
		if t.ID != id {
			continue
		}
		p.confirm(w, r, s, "/directory-sync", confirmData{
			Title:   "Revoke the token ending …" + t.Hint + "?",
			Message: "Your identity provider's requests made with this token are refused at once. Switch your provider to your other token first.",
			Facts:   []ssoKV{{"Directory", dirName(d)}, {"Token", "…" + t.Hint}},
			Dates:   []stamp{dayStamp("Added", t.CreatedAt), timeStamp("Last used", t.LastUsedAt)},
			Action:  p.dirPath(d.ID, "/tokens/"+url.PathEscape(t.ID)+"/revoke"), Button: "Revoke the token",
			CancelURL: p.dirPath(d.ID, ""),
		})
		return
	}
	p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
}

func (p *Portal) directoryRevokeToken(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	page := p.dirPath(d.ID, "")
	if p.cfg.SCIM == nil {
		p.redirect(w, r, s, page, &flash{Alert: "Tokens can't be managed here."})
		return
	}
	id := r.PathValue("token")
	err := p.admin.RevokeDirectoryToken(r.Context(), d.ID, id, s.actor())
	if errors.Is(err, admin.ErrNotFound) {
		p.log.WarnContext(r.Context(), "portal: revocation of an unknown token refused", "session_id", s.s.ID, "directory_id", d.ID, "token_id", id)
		p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
		return
	}
	if err != nil {
		p.serverError(w, r, "revoking directory token", err)
		return
	}
	p.log.InfoContext(r.Context(), "portal: directory token revoked", "session_id", s.s.ID, "directory_id", d.ID, "token_id", id)
	p.redirect(w, r, s, page, &flash{Notice: "The token was revoked. Requests made with it are refused from now on."})
}

// ----- Activation -----

// directoryDeactivateConfirm asks before turning directory sync off.
func (p *Portal) directoryDeactivateConfirm(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	p.confirm(w, r, s, "/directory-sync", confirmData{
		Title:   "Turn off " + dirName(d) + "?",
		Message: "Your provider's requests are refused until you turn it on again: people added or removed there meanwhile are not added or removed here. Users and groups already provisioned are kept.",
		Facts:   []ssoKV{{"Directory", dirName(d)}, {"Provider", web.ProviderLabel(d.Provider)}},
		Action:  p.dirPath(d.ID, "/deactivate"), Button: "Turn off directory sync",
		CancelURL: p.dirPath(d.ID, ""),
	})
}

// directorySetState activates or deactivates the directory, and tells the
// parent window with ORGANIZATION_DIRECTORY_ENABLED or _DISABLED.
func (p *Portal) directorySetState(on bool) dirHandler {
	return func(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
		page := p.dirPath(d.ID, "")
		change := p.admin.DisableDirectory
		if on {
			change = p.admin.EnableDirectory
		}
		nd, err := change(r.Context(), d.ID, s.actor())
		switch {
		case errors.Is(err, admin.ErrNotConfigured):
			p.redirect(w, r, s, page, &flash{Alert: "This directory can't be switched on or off here."})
			return
		case errors.Is(err, admin.ErrConflict):
			p.log.InfoContext(r.Context(), "portal: directory state change refused", "session_id", s.s.ID, "directory_id", d.ID, "activate", on, "error", err)
			p.redirect(w, r, s, page, &flash{Alert: "The directory can't change state now."})
			return
		case err != nil:
			p.serverError(w, r, "changing directory state", err)
			return
		}
		f := &flash{}
		if on {
			f.Notice = "Directory sync is on: the provider's requests are accepted."
			f.Events = []UIEvent{{Type: UIEventDirectoryEnabled, Data: map[string]string{"directoryId": d.ID}}}
		} else {
			f.Notice = "Directory sync is off: the provider's requests are refused. Users and groups already provisioned are kept."
			f.Events = []UIEvent{{Type: UIEventDirectoryDisabled, Data: map[string]string{"directoryId": d.ID}}}
		}
		p.log.InfoContext(r.Context(), "portal: directory state changed", "session_id", s.s.ID, "directory_id", d.ID, "state", nd.State)
		p.redirect(w, r, s, page, f)
	}
}

// ----- Browsing -----

// dirList is what the pages listing a directory's users or groups share.
type dirList struct {
	DirName  string
	DirURL   string
	Action   string
	Query    string
	Total    int
	Pager    pager
	IsSearch bool
}

// dirList returns the dirList of a page of directory d's resources at
// path ("/users" or "/groups"), q and page as pageParams returned them.
func (p *Portal) dirList(d *store.Directory, path, q string, page, total int) dirList {
	base := p.dirPath(d.ID, path)
	return dirList{
		DirName: dirName(d), DirURL: p.dirPath(d.ID, ""), Action: base, Query: q, Total: total,
		Pager: makePager(base, q, page, total), IsSearch: q != "",
	}
}

type dirUsersData struct {
	dirList
	Users []userRow
}

type userRow struct {
	UserName    string
	DisplayName string
	Email       string
	Active      bool
	Outside     bool
	Updated     string
}

type dirGroupsData struct {
	dirList
	Groups []groupRow
}

type groupRow struct {
	DisplayName string
	ExternalID  string
	URL         string
	Updated     string
}

type dirGroupData struct {
	DirName   string
	GroupsURL string
	Name      string
	Members   []store.Member
}

// pager links to the previous and next pages ("" when there is none).
type pager struct {
	Page, Pages int
	Prev, Next  string
}

// pageParams reads ?q= and ?page= (1-based; anything else is page 1).
func pageParams(r *http.Request) (q string, page int) {
	q = strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > maxSearchLen {
		q = q[:maxSearchLen]
	}
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 || page > 1_000_000 {
		page = 1
	}
	return q, page
}

func makePager(base, q string, page, total int) pager {
	pages := max(1, (total+dirPageSize-1)/dirPageSize)
	pg := pager{Page: page, Pages: pages}
	link := func(n int) string {
		v := url.Values{}
		if q != "" {
			v.Set("q", q)
		}
		v.Set("page", strconv.Itoa(n))
		return base + "?" + v.Encode()
	}
	if page > 1 {
		pg.Prev = link(min(page-1, pages))
	}
	if page < pages {
		pg.Next = link(page + 1)
	}
	return pg
}

func (p *Portal) directoryUsers(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	q, page := pageParams(r)
	uq := store.UserQuery{SortBy: store.AttrUserName, Offset: (page - 1) * dirPageSize, Limit: dirPageSize}
	if q != "" {
		uq.Filter = store.Or{
			Left:  store.Compare{Attr: store.AttrUserName, Op: store.OpCo, Value: q},
			Right: store.Compare{Attr: store.AttrDisplayName, Op: store.OpCo, Value: q},
		}
	}
	users, total, err := p.st.ListDirectoryUsers(r.Context(), d.ID, uq)
	if err != nil {
		p.serverError(w, r, "listing directory users", err)
		return
	}
	data := dirUsersData{dirList: p.dirList(d, "/users", q, page, total)}
	for _, u := range users {
		data.Users = append(data.Users, userRow{
			UserName: u.UserName, DisplayName: u.DisplayName, Email: u.PrimaryEmail(),
			Active: u.Active, Outside: u.OutsideDomains, Updated: web.FormatTime(u.UpdatedAt),
		})
	}
	p.render(w, r, http.StatusOK, directoryUsersPage(p.sessionView(r, s, "Users of "+data.DirName, "/directory-sync"), data))
}

func (p *Portal) directoryGroups(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	q, page := pageParams(r)
	gq := store.GroupQuery{SortBy: store.AttrDisplayName, Offset: (page - 1) * dirPageSize, Limit: dirPageSize}
	if q != "" {
		gq.Filter = store.Compare{Attr: store.AttrDisplayName, Op: store.OpCo, Value: q}
	}
	groups, total, err := p.st.ListDirectoryGroups(r.Context(), d.ID, gq)
	if err != nil {
		p.serverError(w, r, "listing directory groups", err)
		return
	}
	data := dirGroupsData{dirList: p.dirList(d, "/groups", q, page, total)}
	for _, g := range groups {
		data.Groups = append(data.Groups, groupRow{
			DisplayName: g.DisplayName, ExternalID: g.ExternalID,
			URL: p.dirPath(d.ID, "/groups/"+url.PathEscape(g.ID)), Updated: web.FormatTime(g.UpdatedAt),
		})
	}
	p.render(w, r, http.StatusOK, directoryGroupsPage(p.sessionView(r, s, "Groups of "+data.DirName, "/directory-sync"), data))
}

func (p *Portal) directoryGroup(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	ctx := r.Context()
	g, err := p.st.GetDirectoryGroup(ctx, d.ID, r.PathValue("group"))
	if errors.Is(err, store.ErrNotFound) {
		p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
		return
	}
	if err != nil {
		p.serverError(w, r, "loading group", err)
		return
	}
	members, err := p.st.ListGroupMembers(ctx, d.ID, g.ID)
	if err != nil {
		p.serverError(w, r, "listing group members", err)
		return
	}
	data := dirGroupData{DirName: dirName(d), GroupsURL: p.dirPath(d.ID, "/groups"), Name: g.DisplayName, Members: members}
	p.render(w, r, http.StatusOK, directoryGroupPage(p.sessionView(r, s, g.DisplayName, "/directory-sync"), data))
}

func dirName(d *store.Directory) string {
	if d.Name != "" {
		return d.Name
	}
	return web.ProviderLabel(d.Provider) + " directory"
}
