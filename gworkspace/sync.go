package gworkspace

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	admin "google.golang.org/api/admin/directory/v1"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
)

// ErrBusy is returned by SyncDirectory when another Syncer (in this or
// another app instance) holds the directory's lease.
var ErrBusy = errors.New("gworkspace: another instance is syncing this directory")

// ErrNotConfigured is returned when the directory is not a Google directory
// with a key and an admin email.
var ErrNotConfigured = errors.New("gworkspace: the directory has no Google configuration, key or admin email")

// errLeaseLost aborts a sync whose lease was taken over.
var errLeaseLost = errors.New("gworkspace: the directory's lease was lost during the sync")

// Stats describes one sync.
type Stats struct {
	Resumed            bool          `json:"resumed,omitempty"`
	Users              int           `json:"users"`  // users listed by Google
	Groups             int           `json:"groups"` // groups listed by Google
	UsersCreated       int           `json:"users_created"`
	UsersUpdated       int           `json:"users_updated"` // including deactivations and reactivations
	UsersDeleted       int           `json:"users_deleted"`
	GroupsCreated      int           `json:"groups_created"`
	GroupsUpdated      int           `json:"groups_updated"`
	GroupsDeleted      int           `json:"groups_deleted"`
	MembershipsAdded   int           `json:"memberships_added"`
	MembershipsRemoved int           `json:"memberships_removed"`
	Skipped            int           `json:"skipped"` // users or groups not written because of a conflict
	APICalls           int64         `json:"api_calls"`
	Retries            int64         `json:"retries"`
	Duration           time.Duration `json:"duration"`
}

// Writes is the number of directory writes the sync made.
func (st *Stats) Writes() int {
	return st.UsersCreated + st.UsersUpdated + st.UsersDeleted + st.GroupsCreated + st.GroupsUpdated + st.GroupsDeleted
}

// checkpoint is where an unfinished sync resumes. Users and Groups hold the
// Google ids listed so far, for the final sweep of what Google no longer
// lists.
type checkpoint struct {
	V           int       `json:"v"`
	Started     time.Time `json:"started"`
	Phase       string    `json:"phase"` // "users", "groups", "members"
	PageToken   string    `json:"page_token,omitempty"`
	Users       []string  `json:"users,omitempty"`
	Groups      []string  `json:"groups,omitempty"`
	MembersDone int       `json:"members_done,omitempty"`
}

// checkpointMaxAge: an older checkpoint is dropped and the sync starts over.
const checkpointMaxAge = 24 * time.Hour

// checkpointEvery is how many pages without a write may pass between
// checkpoints; a page that wrote is always followed by one.
const checkpointEvery = 10

// run is the state of one sync.
type run struct {
	s     *Syncer
	d     *store.Directory
	g     *store.GoogleDirectory
	c     *client
	stats Stats
	ids   *eventIDs
	lease string

	users      map[string]*store.DirectoryUser  // Google id -> stored user
	groups     map[string]*store.DirectoryGroup // Google id -> stored group
	groupNames map[string]string                // match key of a display name -> Google id
	domains    map[string]bool                  // domain -> verified by the organization

	cp        checkpoint
	seenUsers map[string]bool
	seenGrps  map[string]bool
	pages     int
	dirty     bool
}

func leaseName(directoryID string) string { return "gworkspace/" + directoryID }

// SyncDirectory syncs one directory now, resuming an unfinished sync from
// its checkpoint. It returns ErrBusy when another instance holds the
// directory's lease. It records the outcome (LastSyncAt, LastError,
// LastStats) on the directory's configuration unless ctx was cancelled, in
// which case the checkpoint stays for the next sync to resume from.
func (s *Syncer) SyncDirectory(ctx context.Context, directoryID string) (*Stats, error) {
	name := leaseName(directoryID)
	ok, err := s.st.AcquireLease(ctx, name, s.holder, s.now(), s.now().Add(s.cfg.LeaseDuration))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrBusy
	}
	defer s.st.ReleaseLease(context.WithoutCancel(ctx), name, s.holder)

	start := s.now()
	r, err := s.prepare(ctx, directoryID)
	if err != nil {
		return nil, s.record(ctx, directoryID, start, nil, err)
	}
	r.lease = name
	err = r.sync(ctx)
	r.stats.APICalls, r.stats.Retries = r.c.calls.Load(), r.c.retries.Load()
	r.stats.Duration = s.now().Sub(start)
	if err != nil {
		err = diagnose(err)
	}
	return &r.stats, s.record(ctx, directoryID, start, &r.stats, err)
}

// record stores the outcome of a sync and returns err.
func (s *Syncer) record(ctx context.Context, directoryID string, start time.Time, st *Stats, err error) error {
	if ctx.Err() != nil {
		if err == nil {
			err = ctx.Err()
		}
		return err
	}
	var stats []byte
	if st != nil {
		stats, _ = json.Marshal(st)
	}
	now := s.now().UTC()
	_, uerr := s.st.UpdateGoogleDirectory(ctx, directoryID, func(g *store.GoogleDirectory) ([]store.Event, error) {
		g.LastSyncAt, g.UpdatedAt = now, now
		if stats != nil {
			g.LastStats = stats
		}
		if !g.SyncRequestedAt.After(start) {
			g.SyncRequestedAt = time.Time{}
		}
		if err != nil {
			g.LastError = errorText(err)
			return nil, nil
		}
		g.LastSuccessAt, g.LastError, g.Checkpoint = now, "", nil
		return nil, nil
	})
	if err == nil && uerr != nil && !errors.Is(uerr, store.ErrNotFound) {
		err = uerr
	}
	if err != nil {
		s.log.WarnContext(ctx, "gworkspace: sync failed", "directory", directoryID, "err", err)
	} else if st != nil {
		s.log.InfoContext(ctx, "gworkspace: sync done", "directory", directoryID, "users", st.Users, "groups", st.Groups,
			"writes", st.Writes(), "api_calls", st.APICalls, "duration", st.Duration)
	}
	return err
}

// errorText is what LastError shows: the diagnosis for a refusal by
// Google, the error otherwise.
func errorText(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Message()
	}
	return err.Error()
}

// connect loads a directory's Google settings, opens its key and makes a
// client with the sync's scopes (ErrNotConfigured without settings).
func (s *Syncer) connect(ctx context.Context, directoryID string) (*store.GoogleDirectory, *ServiceAccountKey, *client, error) {
	g, err := s.st.GetGoogleDirectory(ctx, directoryID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil, ErrNotConfigured
	}
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := s.openKey(g)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := s.newClient(ctx, key, g.AdminEmail, Scopes)
	if err != nil {
		return nil, nil, nil, err
	}
	return g, key, c, nil
}

// prepare loads the directory, opens its key and reads what the Store holds.
func (s *Syncer) prepare(ctx context.Context, directoryID string) (*run, error) {
	d, err := s.st.GetDirectory(ctx, directoryID)
	if err != nil {
		return nil, err
	}
	g, _, c, err := s.connect(ctx, directoryID)
	if err != nil {
		return nil, err
	}
	ids, err := newEventIDs(s.cfg.Rand)
	if err != nil {
		return nil, err
	}
	r := &run{
		s: s, d: d, g: g, c: c, ids: ids,
		users: map[string]*store.DirectoryUser{}, groups: map[string]*store.DirectoryGroup{},
		groupNames: map[string]string{}, domains: map[string]bool{},
		seenUsers: map[string]bool{}, seenGrps: map[string]bool{},
	}
	if err := r.load(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// openKey parses the directory's key.
func (s *Syncer) openKey(g *store.GoogleDirectory) (*ServiceAccountKey, error) {
	if len(g.Key) == 0 || g.AdminEmail == "" {
		return nil, ErrNotConfigured
	}
	return ParseKey(g.Key)
}

const loadPage = 1000

// load reads the directory's users and groups from the Store.
func (r *run) load(ctx context.Context) error {
	for off := 0; ; off += loadPage {
		us, _, err := r.s.st.ListDirectoryUsers(ctx, r.d.ID, store.UserQuery{Offset: off, Limit: loadPage})
		if err != nil {
			return err
		}
		for i := range us {
			r.users[us[i].ExternalID] = &us[i]
		}
		if len(us) < loadPage {
			break
		}
	}
	for off := 0; ; off += loadPage {
		gs, _, err := r.s.st.ListDirectoryGroups(ctx, r.d.ID, store.GroupQuery{Offset: off, Limit: loadPage})
		if err != nil {
			return err
		}
		for i := range gs {
			r.groups[gs[i].ExternalID] = &gs[i]
		}
		if len(gs) < loadPage {
			break
		}
	}
	return nil
}

func (r *run) sync(ctx context.Context) error {
	now := r.s.now().UTC()
	r.cp = checkpoint{V: 1, Started: now, Phase: "users"}
	if len(r.g.Checkpoint) > 0 {
		var cp checkpoint
		if json.Unmarshal(r.g.Checkpoint, &cp) == nil && cp.V == 1 && now.Sub(cp.Started) < checkpointMaxAge {
			r.cp, r.stats.Resumed = cp, true
			for _, id := range cp.Users {
				r.seenUsers[id] = true
			}
			for _, id := range cp.Groups {
				r.seenGrps[id] = true
			}
		}
	}
	if r.cp.Phase == "users" {
		if err := r.listUsers(ctx); err != nil {
			return err
		}
		r.cp.Phase, r.cp.PageToken = "groups", ""
	}
	if r.cp.Phase == "groups" {
		if err := r.listGroups(ctx); err != nil {
			return err
		}
		r.cp.Phase, r.cp.PageToken = "members", ""
		r.dirty = true
		if err := r.save(ctx, true); err != nil {
			return err
		}
	}
	if err := r.syncMembers(ctx); err != nil {
		return err
	}
	r.stats.Users, r.stats.Groups = len(r.seenUsers), len(r.seenGrps)
	return r.sweep(ctx)
}

// save renews the lease and stores the checkpoint when the page wrote
// something, or every checkpointEvery pages.
func (r *run) save(ctx context.Context, force bool) error {
	now := r.s.now()
	r.s.beat.Tick(now)
	ok, err := r.s.st.AcquireLease(ctx, r.lease, r.s.holder, now, now.Add(r.s.cfg.LeaseDuration))
	if err != nil {
		return err
	}
	if !ok {
		return errLeaseLost
	}
	r.pages++
	if !force && !r.dirty && r.pages%checkpointEvery != 0 {
		return nil
	}
	r.cp.Users = sortedKeys(r.seenUsers)
	r.cp.Groups = r.groupOrder()
	b, err := json.Marshal(r.cp)
	if err != nil {
		return err
	}
	_, err = r.s.st.UpdateGoogleDirectory(ctx, r.d.ID, func(g *store.GoogleDirectory) ([]store.Event, error) {
		g.Checkpoint = b
		return nil, nil
	})
	r.dirty = false
	return err
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// groupOrder is the Google ids of the groups listed so far, in the order of
// the checkpoint (members are synced in that order).
func (r *run) groupOrder() []string {
	out := slices.Clone(r.cp.Groups)
	have := map[string]bool{}
	for _, id := range out {
		have[id] = true
	}
	var extra []string
	for id := range r.seenGrps {
		if !have[id] {
			extra = append(extra, id)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// maxRestarts bounds how often one listing starts over after its page
// token expired.
const maxRestarts = 3

func (r *run) customer() string {
	if r.g.Customer != "" {
		return r.g.Customer
	}
	return "my_customer"
}

// listCall is a Directory API list call (users, groups): the methods that
// scope it and page through it.
type listCall[C any] interface {
	Domain(string) C
	Customer(string) C
	PageToken(string) C
}

// listPage scopes call to the sync's domain (or else its whole customer)
// and to the page after token ("" for the first).
func listPage[C listCall[C]](r *run, call C, token string) C {
	if r.g.Domain != "" {
		call = call.Domain(r.g.Domain)
	} else {
		call = call.Customer(r.customer())
	}
	if token != "" {
		call = call.PageToken(token)
	}
	return call
}

func (r *run) listUsers(ctx context.Context) error {
	return r.walkPages(ctx, func(token string) (string, error) {
		call := r.c.svc.Users.List().MaxResults(int64(r.s.cfg.PageSize)).OrderBy("email").Projection("basic").
			Fields("nextPageToken", "users(id,primaryEmail,name,suspended,archived,isAdmin,orgUnitPath,etag)").Context(ctx)
		page, err := listPage(r, call, token).Do()
		if err != nil {
			return "", err
		}
		for _, gu := range page.Users {
			if gu.Id == "" || gu.PrimaryEmail == "" {
				continue
			}
			r.seenUsers[gu.Id] = true
			if err := r.upsertUser(ctx, gu); err != nil {
				return "", err
			}
		}
		return page.NextPageToken, nil
	})
}

func (r *run) listGroups(ctx context.Context) error {
	return r.walkPages(ctx, func(token string) (string, error) {
		call := r.c.svc.Groups.List().MaxResults(MaxGroupPage).Fields("nextPageToken", "groups(id,email,name,description,etag)").Context(ctx)
		page, err := listPage(r, call, token).Do()
		if err != nil {
			return "", err
		}
		for _, gg := range page.Groups {
			if gg.Id == "" {
				continue
			}
			if !r.seenGrps[gg.Id] {
				r.seenGrps[gg.Id] = true
				r.cp.Groups = append(r.cp.Groups, gg.Id)
			}
			if err := r.upsertGroup(ctx, gg); err != nil {
				return "", err
			}
		}
		return page.NextPageToken, nil
	})
}

// walkPages runs page from the checkpoint's page token until a page has no
// successor, saving the checkpoint after each page. page fetches and
// applies one page and returns the next token. When Google says a saved
// token expired, the listing starts over (at most maxRestarts times):
// every write compares with the Store, so pages read again write nothing.
func (r *run) walkPages(ctx context.Context, page func(token string) (next string, err error)) error {
	restarts := 0
	for {
		next, err := page(r.cp.PageToken)
		if err != nil && r.cp.PageToken != "" && invalidPageToken(err) && restarts < maxRestarts {
			restarts++
			r.cp.PageToken = ""
			continue
		}
		if err != nil {
			return err
		}
		r.cp.PageToken = next
		if err := r.save(ctx, false); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
	}
}

// listMembers returns the Google members of a group, every page.
func (r *run) listMembers(ctx context.Context, groupID string) ([]*admin.Member, error) {
	var out []*admin.Member
	token, restarts := "", 0
	for {
		call := r.c.svc.Members.List(groupID).MaxResults(MaxGroupPage).Fields("nextPageToken", "members(id,type,status)").Context(ctx)
		if token != "" {
			call = call.PageToken(token)
		}
		page, err := call.Do()
		if err != nil && token != "" && invalidPageToken(err) && restarts < maxRestarts {
			restarts++
			token, out = "", nil
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, page.Members...)
		if token = page.NextPageToken; token == "" {
			return out, nil
		}
	}
}

// syncMembers lists the members of the groups Concurrency at a time and
// applies them in the order of the checkpoint.
func (r *run) syncMembers(ctx context.Context) error {
	order := r.groupOrder()
	r.cp.Groups = order
	n := r.s.cfg.Concurrency
	for r.cp.MembersDone < len(order) {
		batch := order[r.cp.MembersDone:min(len(order), r.cp.MembersDone+n)]
		results := make([][]*admin.Member, len(batch))
		errs := make([]error, len(batch))
		var wg sync.WaitGroup
		for i, id := range batch {
			if r.groups[id] == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = r.listMembers(ctx, id)
			}()
		}
		wg.Wait()
		for i, id := range batch {
			if errs[i] != nil {
				return errs[i]
			}
			if err := r.applyMembers(ctx, id, results[i]); err != nil {
				return err
			}
		}
		r.cp.MembersDone += len(batch)
		if err := r.save(ctx, false); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) applyMembers(ctx context.Context, googleID string, ms []*admin.Member) error {
	g := r.groups[googleID]
	if g == nil {
		return nil
	}
	want := []string{}
	for _, m := range ms {
		var id string
		switch m.Type {
		case "USER":
			if u := r.users[m.Id]; u != nil {
				id = u.ID
			}
		case "GROUP":
			if sg := r.groups[m.Id]; sg != nil && sg.ID != g.ID {
				id = sg.ID
			}
		}
		if id != "" {
			want = append(want, id)
		}
	}
	slices.Sort(want)
	want = slices.Compact(want)
	cur, err := r.s.st.ListGroupMembers(ctx, r.d.ID, g.ID)
	if err != nil {
		return err
	}
	have := make([]string, len(cur))
	for i, m := range cur {
		have[i] = m.ID
	}
	slices.Sort(have)
	if slices.Equal(have, want) {
		return nil
	}
	now := r.stamp()
	res, err := r.s.st.UpdateDirectoryGroup(ctx, r.d.ID, g.ID, func(sg *store.DirectoryGroup) ([]store.MemberOp, error) {
		sg.UpdatedAt = now
		return []store.MemberOp{{Kind: store.MembersReplace, IDs: want}}, nil
	}, func(sg *store.DirectoryGroup, added, removed []string) []store.Event {
		r.stats.MembershipsAdded += len(added)
		r.stats.MembershipsRemoved += len(removed)
		return r.membershipEvents(sg, added, removed)
	})
	if err != nil {
		return err
	}
	r.groups[googleID] = res
	r.dirty = true
	return nil
}

// sweep deletes the groups and users that Google no longer lists.
func (r *run) sweep(ctx context.Context) error {
	for _, gid := range sortedStoreKeys(r.groups) {
		if r.seenGrps[gid] {
			continue
		}
		g := r.groups[gid]
		err := r.s.st.DeleteDirectoryGroup(ctx, r.d.ID, g.ID, func(sg *store.DirectoryGroup, _, removed []string) []store.Event {
			evs := []store.Event{r.event(scimkit.EventGroupDeleted, sg.ID, groupData(sg))}
			return append(evs, r.membershipEvents(sg, nil, removed)...)
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		delete(r.groups, gid)
		r.stats.GroupsDeleted++
	}
	for _, gid := range sortedStoreKeys(r.users) {
		if r.seenUsers[gid] {
			continue
		}
		u := r.users[gid]
		err := r.s.st.DeleteDirectoryUser(ctx, r.d.ID, u.ID, func(su *store.DirectoryUser, groupIDs []string) []store.Event {
			evs := []store.Event{r.event(scimkit.EventUserDeleted, su.ID, userData(su))}
			for _, g := range groupIDs {
				evs = append(evs, r.event(scimkit.EventMembershipRemoved, g, scimkit.MembershipData{
					DirectoryID: r.d.ID, OrganizationID: r.d.OrgID, GroupID: g, MemberID: su.ID, MemberType: string(store.MemberUser),
				}))
			}
			return evs
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		delete(r.users, gid)
		r.stats.UsersDeleted++
	}
	return nil
}

func sortedStoreKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (r *run) stamp() time.Time { return r.s.now().UTC().Truncate(time.Microsecond) }

// userAttrs is what a user's Attributes keep of the Google user.
type userAttrs struct {
	ID           string     `json:"id"`
	PrimaryEmail string     `json:"primaryEmail"`
	Name         *nameAttrs `json:"name,omitempty"`
	Suspended    bool       `json:"suspended,omitempty"`
	Archived     bool       `json:"archived,omitempty"`
	IsAdmin      bool       `json:"isAdmin,omitempty"`
	OrgUnitPath  string     `json:"orgUnitPath,omitempty"`
	Etag         string     `json:"etag,omitempty"`
}

type nameAttrs struct {
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	FullName   string `json:"fullName,omitempty"`
}

type groupAttrs struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Etag        string `json:"etag,omitempty"`
}

// etagOf returns the etag kept in stored Attributes.
func etagOf(attrs json.RawMessage) string {
	var v struct {
		Etag string `json:"etag"`
	}
	json.Unmarshal(attrs, &v)
	return v.Etag
}

// withoutEtag returns attrs with the etag removed, for comparisons.
func withoutEtag(attrs json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(attrs, &m) != nil {
		return string(attrs)
	}
	delete(m, "etag")
	b, _ := json.Marshal(m)
	return string(b)
}

func (r *run) mapUser(gu *admin.User) *store.DirectoryUser {
	a := userAttrs{ID: gu.Id, PrimaryEmail: gu.PrimaryEmail, Suspended: gu.Suspended, Archived: gu.Archived,
		IsAdmin: gu.IsAdmin, OrgUnitPath: gu.OrgUnitPath, Etag: gu.Etag}
	u := &store.DirectoryUser{
		DirectoryID: r.d.ID, OrgID: r.d.OrgID, UserName: gu.PrimaryEmail, ExternalID: gu.Id,
		Active: !gu.Suspended && !gu.Archived,
		Emails: []store.Email{{Value: gu.PrimaryEmail, Type: "work", Primary: true}},
	}
	if n := gu.Name; n != nil {
		a.Name = &nameAttrs{GivenName: n.GivenName, FamilyName: n.FamilyName, FullName: n.FullName}
		u.GivenName, u.FamilyName, u.DisplayName = n.GivenName, n.FamilyName, n.FullName
		if u.DisplayName == "" {
			u.DisplayName = strings.TrimSpace(n.GivenName + " " + n.FamilyName)
		}
	}
	u.Attributes, _ = json.Marshal(a)
	return u
}

func sameUser(a, b *store.DirectoryUser) bool {
	return a.UserName == b.UserName && a.ExternalID == b.ExternalID && a.Active == b.Active &&
		a.DisplayName == b.DisplayName && a.GivenName == b.GivenName && a.FamilyName == b.FamilyName &&
		slices.Equal(a.Emails, b.Emails) && a.OutsideDomains == b.OutsideDomains &&
		withoutEtag(a.Attributes) == withoutEtag(b.Attributes)
}

// outside reports whether email's domain is not verified by the
// directory's organization.
func (r *run) outside(ctx context.Context, email string) (bool, error) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return true, nil
	}
	domain := strings.ToLower(email[at+1:])
	if v, ok := r.domains[domain]; ok {
		return !v, nil
	}
	d, err := r.s.st.GetVerifiedDomain(ctx, domain)
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid):
		r.domains[domain] = false
	case err != nil:
		return false, err
	default:
		r.domains[domain] = d.OrgID == r.d.OrgID
	}
	return !r.domains[domain], nil
}

func (r *run) upsertUser(ctx context.Context, gu *admin.User) error {
	cur := r.users[gu.Id]
	if cur != nil && gu.Etag != "" && etagOf(cur.Attributes) == gu.Etag {
		return nil
	}
	next := r.mapUser(gu)
	out, err := r.outside(ctx, gu.PrimaryEmail)
	if err != nil {
		return err
	}
	next.OutsideDomains = out
	now := r.stamp()
	if cur == nil {
		id, err := secret.NewID(r.s.cfg.Rand, "usr")
		if err != nil {
			return err
		}
		next.ID, next.Version, next.CreatedAt, next.UpdatedAt = id, 1, now, now
		err = r.s.st.CreateDirectoryUser(ctx, next, r.event(scimkit.EventUserCreated, next.ID, userData(next)))
		if errors.Is(err, store.ErrAlreadyExists) {
			r.stats.Skipped++
			r.s.log.WarnContext(ctx, "gworkspace: user not created: its email or id is taken in the directory",
				"directory", r.d.ID, "google_id", gu.Id)
			return nil
		}
		if err != nil {
			return err
		}
		r.users[gu.Id] = next
		r.stats.UsersCreated++
		r.dirty = true
		return nil
	}
	if sameUser(cur, next) {
		return nil
	}
	res, err := r.s.st.UpdateDirectoryUser(ctx, r.d.ID, cur.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
		before := *u
		u.UserName, u.ExternalID, u.Active = next.UserName, next.ExternalID, next.Active
		u.DisplayName, u.GivenName, u.FamilyName = next.DisplayName, next.GivenName, next.FamilyName
		u.Emails, u.OutsideDomains, u.Attributes = next.Emails, next.OutsideDomains, next.Attributes
		u.UpdatedAt = now
		after := *u
		after.Version = u.Version + 1
		return []store.Event{r.event(userChangeType(&before, &after), u.ID, userData(&after))}, nil
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		r.stats.Skipped++
		r.s.log.WarnContext(ctx, "gworkspace: user not updated: its new email is taken in the directory",
			"directory", r.d.ID, "google_id", gu.Id)
		return nil
	}
	if errors.Is(err, store.ErrNotFound) {
		delete(r.users, gu.Id)
		return r.upsertUser(ctx, gu)
	}
	if err != nil {
		return err
	}
	r.users[gu.Id] = res
	r.stats.UsersUpdated++
	r.dirty = true
	return nil
}

func userChangeType(old, nu *store.DirectoryUser) string {
	switch {
	case old.Active && !nu.Active:
		return scimkit.EventUserDeactivated
	case !old.Active && nu.Active:
		return scimkit.EventUserReactivated
	}
	return scimkit.EventUserUpdated
}

// groupName is the display name of a Google group: its name, or when
// another group listed in this sync has that name, the name followed by
// the group's email (display names are unique in a directory).
func (r *run) groupName(gg *admin.Group) string {
	name := gg.Name
	if name == "" {
		name = gg.Email
	}
	key := store.MatchKey(name)
	if other, ok := r.groupNames[key]; ok && other != gg.Id {
		name = fmt.Sprintf("%s <%s>", name, gg.Email)
	} else {
		r.groupNames[key] = gg.Id
	}
	return name
}

func (r *run) upsertGroup(ctx context.Context, gg *admin.Group) error {
	name := r.groupName(gg)
	cur := r.groups[gg.Id]
	if cur != nil && gg.Etag != "" && etagOf(cur.Attributes) == gg.Etag && cur.DisplayName == name {
		return nil
	}
	attrs, _ := json.Marshal(groupAttrs{ID: gg.Id, Email: gg.Email, Name: gg.Name, Description: gg.Description, Etag: gg.Etag})
	now := r.stamp()
	if cur == nil {
		id, err := secret.NewID(r.s.cfg.Rand, "grp")
		if err != nil {
			return err
		}
		g := &store.DirectoryGroup{ID: id, DirectoryID: r.d.ID, OrgID: r.d.OrgID, DisplayName: name, ExternalID: gg.Id,
			Attributes: attrs, Version: 1, CreatedAt: now, UpdatedAt: now}
		err = r.s.st.CreateDirectoryGroup(ctx, g, nil, func(sg *store.DirectoryGroup, added, _ []string) []store.Event {
			return []store.Event{r.event(scimkit.EventGroupCreated, sg.ID, groupData(sg))}
		})
		if errors.Is(err, store.ErrAlreadyExists) {
			r.stats.Skipped++
			r.s.log.WarnContext(ctx, "gworkspace: group not created: its name is taken in the directory",
				"directory", r.d.ID, "google_id", gg.Id)
			return nil
		}
		if err != nil {
			return err
		}
		r.groups[gg.Id] = g
		r.stats.GroupsCreated++
		r.dirty = true
		return nil
	}
	if cur.DisplayName == name && withoutEtag(cur.Attributes) == withoutEtag(attrs) {
		return nil
	}
	res, err := r.s.st.UpdateDirectoryGroup(ctx, r.d.ID, cur.ID, func(g *store.DirectoryGroup) ([]store.MemberOp, error) {
		g.DisplayName, g.Attributes, g.UpdatedAt = name, attrs, now
		return nil, nil
	}, func(sg *store.DirectoryGroup, added, removed []string) []store.Event {
		return []store.Event{r.event(scimkit.EventGroupUpdated, sg.ID, groupData(sg))}
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		r.stats.Skipped++
		return nil
	}
	if err != nil {
		return err
	}
	r.groups[gg.Id] = res
	r.stats.GroupsUpdated++
	r.dirty = true
	return nil
}

// Events: the same types and data as scimkit's.

func userData(u *store.DirectoryUser) scimkit.UserData {
	return scimkit.UserData{
		ID: u.ID, DirectoryID: u.DirectoryID, OrganizationID: u.OrgID, UserName: u.UserName,
		ExternalID: u.ExternalID, Active: u.Active, DisplayName: u.DisplayName,
		GivenName: u.GivenName, FamilyName: u.FamilyName, Email: u.PrimaryEmail(), Emails: u.Emails,
		OutsideDomains: u.OutsideDomains, Attributes: u.Attributes, Version: u.Version,
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
	}
}

func groupData(g *store.DirectoryGroup) scimkit.GroupData {
	return scimkit.GroupData{
		ID: g.ID, DirectoryID: g.DirectoryID, OrganizationID: g.OrgID, DisplayName: g.DisplayName,
		ExternalID: g.ExternalID, Attributes: g.Attributes, Version: g.Version,
		CreatedAt: g.CreatedAt.UTC(), UpdatedAt: g.UpdatedAt.UTC(),
	}
}

func memberType(id string) string {
	if strings.HasPrefix(id, "grp_") {
		return string(store.MemberGroup)
	}
	return string(store.MemberUser)
}

func (r *run) membershipEvents(g *store.DirectoryGroup, added, removed []string) []store.Event {
	var evs []store.Event
	for _, set := range []struct {
		typ string
		ids []string
	}{{scimkit.EventMembershipAdded, added}, {scimkit.EventMembershipRemoved, removed}} {
		for _, id := range set.ids {
			evs = append(evs, r.event(set.typ, g.ID, scimkit.MembershipData{
				DirectoryID: r.d.ID, OrganizationID: r.d.OrgID, GroupID: g.ID, GroupName: g.DisplayName,
				MemberID: id, MemberType: memberType(id),
			}))
		}
	}
	return evs
}

// Actor is the Event.Actor of the changes a sync makes to a directory.
func Actor(directoryID string) string { return "gworkspace:" + directoryID }

func (r *run) event(typ, subject string, data any) store.Event {
	b, err := json.Marshal(data)
	if err != nil {
		b = []byte("{}")
	}
	return store.Event{ID: r.ids.next(), Type: typ, OrgID: r.d.OrgID, Subject: subject, Actor: Actor(r.d.ID), Data: b, CreatedAt: r.s.now().UTC()}
}

// eventIDs hands out event ids: secret.NewID, or should the random source
// fail inside a Store callback (which cannot fail), an id derived from a
// seed read before the sync started.
type eventIDs struct {
	mu   sync.Mutex
	rand io.Reader
	seed [16]byte
	n    uint64
}

func newEventIDs(rnd io.Reader) (*eventIDs, error) {
	e := &eventIDs{rand: rnd}
	if _, err := io.ReadFull(rnd, e.seed[:]); err != nil {
		return nil, fmt.Errorf("gworkspace: reading randomness: %w", err)
	}
	return e, nil
}

func (e *eventIDs) next() string {
	if id, err := secret.NewID(e.rand, "evt"); err == nil {
		return id
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var b [24]byte
	copy(b[:], e.seed[:])
	binary.BigEndian.PutUint64(b[16:], e.n)
	e.n++
	h := sha256.Sum256(b[:])
	return "evt_" + hex.EncodeToString(h[:13])
}
