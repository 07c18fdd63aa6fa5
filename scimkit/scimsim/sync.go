package scimsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// SyncSpec describes a generated directory and what happens to it.
type SyncSpec struct {
	// Users is how many users to generate: user0001@Domain, user0002@...
	// At most 100000.
	Users int
	// Groups is how many groups to generate. Each user is a member of one
	// group, every fifth user of a second one. At most 10000.
	Groups int
	// Domain of the generated userNames and emails. Default "example.com".
	Domain string
	// Seed makes the directory reproducible: the same seed generates the
	// same names, titles, external ids and choices below.
	Seed int64

	// Updates is how many users get a profile change (title, family name,
	// department) after the initial push. Default 0.
	Updates int
	// Deactivations is how many users are deactivated at the end.
	// Default 0.
	Deactivations int
	// MemberRemovals is how many group memberships are removed at the end.
	// Default 0.
	MemberRemovals int
	// Deletions is how many of the deactivated users are then deleted.
	// Entra only (Okta never deletes users); at most Deactivations.
	Deletions int

	// Concurrency is how many users are provisioned at once. Default 1:
	// one request at a time, in order. Above 1, the users who manage
	// others are pushed first, then the rest. At most 64.
	Concurrency int

	// MemberBatch is how many members one PATCH adds. Default 50.
	MemberBatch int
	// MaxFailures is how many failed operations are tolerated before the
	// sync stops with ErrTooManyFailures. Default 10.
	MaxFailures int
	// SkipConnectionTest skips the provider's connection test that
	// otherwise starts the sync.
	SkipConnectionTest bool

	// Progress, when set, is called as the sync advances, from the
	// goroutine running FullSync.
	Progress func(Progress)
}

// Progress reports the advance of a FullSync.
type Progress struct {
	// Phase is one of "connection", "users", "groups", "members",
	// "updates", "removals", "deactivations", "deletions", "done".
	Phase string
	Done  int
	Total int
}

// Failure is one operation of a sync that failed.
type Failure struct {
	Step string
	Err  error
}

// SyncReport summarises a FullSync.
type SyncReport struct {
	Dialect          Dialect
	UsersCreated     int // created with POST
	UsersMatched     int // found by the lookup and updated instead
	UsersUpdated     int
	UsersDeactivated int
	UsersDeleted     int
	GroupsCreated    int
	GroupsMatched    int
	MembersAdded     int
	MembersRemoved   int
	Requests         int       // requests sent by this sync
	Failures         []Failure // failed operations, in order
	// UserIDs and GroupIDs map generated userNames and group displayNames
	// to the ids the server assigned.
	UserIDs  map[string]string
	GroupIDs map[string]string
	Started  time.Time
	Finished time.Time
}

// Directory is a generated directory: what FullSync pushes.
type Directory struct {
	Users  []UserSpec
	Groups []GroupSpec
	// Members lists, per group (same index as Groups), the indexes in
	// Users of its members.
	Members [][]int
	// Managers gives, per user, the index in Users of its manager, or -1.
	Managers []int
}

var (
	givenNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis",
		"Radia", "Leslie", "Hedy", "Tim", "Katherine", "Niklaus", "Sophie", "John", "Annie", "Linus"}
	familyNames = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie",
		"Perlman", "Lamport", "Lamarr", "Berners-Lee", "Johnson", "Wirth", "Wilson", "Backus", "Easley", "Torvalds"}
	titles      = []string{"Engineer", "Designer", "Analyst", "Product Manager", "Accountant", "Recruiter", "Support Specialist", "Sales Representative"}
	departments = []string{"Engineering", "Design", "Finance", "Product", "People", "Support", "Sales", "Marketing", "Legal", "Operations"}
)

// Generate returns the directory spec describes, without sending anything.
func Generate(d Dialect, spec SyncSpec) (*Directory, error) {
	spec, err := spec.normalized(d)
	if err != nil {
		return nil, err
	}
	rng := mrand.New(mrand.NewPCG(uint64(spec.Seed), 0x9e3779b97f4a7c15))
	dir := &Directory{Managers: make([]int, spec.Users)}
	width := max(4, len(fmt.Sprint(spec.Users)))
	for i := range spec.Users {
		given := givenNames[rng.IntN(len(givenNames))]
		family := familyNames[rng.IntN(len(familyNames))]
		u := UserSpec{
			UserName:       fmt.Sprintf("user%0*d@%s", width, i+1, spec.Domain),
			GivenName:      given,
			FamilyName:     family,
			Title:          titles[rng.IntN(len(titles))],
			Department:     departments[rng.IntN(len(departments))],
			EmployeeNumber: fmt.Sprintf("%06d", 100000+i+1),
			MobilePhone:    fmt.Sprintf("+1 555 %04d", rng.IntN(10000)),
		}
		if d == Okta {
			u.ExternalID = "00u" + randomAlnum(rng, 17)
		} else {
			u.ExternalID = guidFrom(rng)
		}
		dir.Managers[i] = -1
		if i%10 != 0 {
			dir.Managers[i] = i - i%10 // the first user of each ten manages the nine after
		}
		dir.Users = append(dir.Users, u)
	}
	dir.Members = make([][]int, spec.Groups)
	for j := range spec.Groups {
		g := GroupSpec{DisplayName: fmt.Sprintf("%s %03d", departments[j%len(departments)], j+1)}
		if d == Entra {
			g.ExternalID = guidFrom(rng)
		}
		dir.Groups = append(dir.Groups, g)
	}
	if spec.Groups > 0 {
		for i := range spec.Users {
			dir.Members[i%spec.Groups] = append(dir.Members[i%spec.Groups], i)
			if i%5 == 4 && spec.Groups > 1 {
				g := (i + 1) % spec.Groups
				dir.Members[g] = append(dir.Members[g], i)
			}
		}
	}
	return dir, nil
}

func (s SyncSpec) normalized(d Dialect) (SyncSpec, error) {
	if !d.Valid() {
		return s, fmt.Errorf("scimsim: unknown dialect %q", d)
	}
	if s.Domain == "" {
		s.Domain = "example.com"
	}
	s.Domain = strings.ToLower(s.Domain)
	if strings.ContainsAny(s.Domain, "@/ \"\\") || !strings.Contains(s.Domain, ".") {
		return s, fmt.Errorf("scimsim: SyncSpec.Domain %q is not a domain name", s.Domain)
	}
	switch {
	case s.Users < 0 || s.Users > 100000:
		return s, errors.New("scimsim: SyncSpec.Users must be between 0 and 100000")
	case s.Groups < 0 || s.Groups > 10000:
		return s, errors.New("scimsim: SyncSpec.Groups must be between 0 and 10000")
	case s.Updates < 0 || s.Updates > s.Users:
		return s, errors.New("scimsim: SyncSpec.Updates must be between 0 and Users")
	case s.Deactivations < 0 || s.Deactivations > s.Users:
		return s, errors.New("scimsim: SyncSpec.Deactivations must be between 0 and Users")
	case s.MemberRemovals < 0:
		return s, errors.New("scimsim: SyncSpec.MemberRemovals must not be negative")
	case s.Deletions < 0 || s.Deletions > s.Deactivations:
		return s, errors.New("scimsim: SyncSpec.Deletions must be between 0 and Deactivations")
	case s.Deletions > 0 && d == Okta:
		return s, fmt.Errorf("%w: SyncSpec.Deletions: Okta never deletes users", ErrUnsupported)
	case s.MemberBatch < 0 || s.MaxFailures < 0:
		return s, errors.New("scimsim: SyncSpec.MemberBatch and MaxFailures must not be negative")
	case s.Concurrency < 0 || s.Concurrency > 64:
		return s, errors.New("scimsim: SyncSpec.Concurrency must be between 0 and 64")
	}
	if s.MemberBatch == 0 {
		s.MemberBatch = 50
	}
	if s.MaxFailures == 0 {
		s.MaxFailures = 10
	}
	return s, nil
}

// FullSync provisions a generated directory the provider's way and then
// changes it: the connection test, every user (lookup, then create; the
// manager references of the first user of each ten), every group (lookup,
// create) and its members in batches, then spec.Updates profile updates,
// spec.MemberRemovals membership removals, spec.Deactivations
// deactivations and (Entra) spec.Deletions deletions.
//
// A failed operation is recorded in the report and the sync goes on, up to
// spec.MaxFailures; a failed connection test, a cancelled ctx or too many
// failures stop it with an error, and the report says how far it got.
func (c *Client) FullSync(ctx context.Context, spec SyncSpec) (*SyncReport, error) {
	spec, err := spec.normalized(c.cfg.Dialect)
	if err != nil {
		return nil, err
	}
	dir, err := Generate(c.cfg.Dialect, spec)
	if err != nil {
		return nil, err
	}
	rep := &SyncReport{
		Dialect:  c.cfg.Dialect,
		UserIDs:  make(map[string]string, len(dir.Users)),
		GroupIDs: make(map[string]string, len(dir.Groups)),
		Started:  c.cfg.Now().UTC(),
	}
	startRequests := c.Requests()
	finish := func(err error) (*SyncReport, error) {
		rep.Requests = c.Requests() - startRequests
		rep.Finished = c.cfg.Now().UTC()
		if err == nil {
			c.progress(spec, "done", 1, 1)
		}
		return rep, err
	}
	fail := func(step string, err error) error {
		rep.Failures = append(rep.Failures, Failure{Step: step, Err: err})
		c.cfg.Logger.Warn("scimsim: sync operation failed", "step", step, "err", err)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(rep.Failures) > spec.MaxFailures {
			return fmt.Errorf("%w: %d failed operations, the last: %v", ErrTooManyFailures, len(rep.Failures), err)
		}
		return nil
	}

	if !spec.SkipConnectionTest {
		c.progress(spec, "connection", 0, 1)
		if err := c.TestConnection(ctx); err != nil {
			rep.Failures = append(rep.Failures, Failure{Step: "test connection", Err: err})
			return finish(fmt.Errorf("scimsim: connection test failed: %w", err))
		}
		c.progress(spec, "connection", 1, 1)
	}

	ids := make([]string, len(dir.Users))
	if err := c.provisionUsers(ctx, spec, dir, ids, rep, fail); err != nil {
		return finish(err)
	}

	gids := make([]string, len(dir.Groups))
	for j, g := range dir.Groups {
		id, created, err := c.provisionGroup(ctx, g)
		if err != nil {
			if err := fail("provision group "+g.DisplayName, err); err != nil {
				return finish(err)
			}
		} else {
			gids[j] = id
			rep.GroupIDs[g.DisplayName] = id
			if created {
				rep.GroupsCreated++
			} else {
				rep.GroupsMatched++
			}
		}
		c.progress(spec, "groups", j+1, len(dir.Groups))
	}

	totalMembers := 0
	for _, m := range dir.Members {
		totalMembers += len(m)
	}
	done := 0
	for j, members := range dir.Members {
		if gids[j] == "" {
			done += len(members)
			continue
		}
		for batch := range slices.Chunk(members, spec.MemberBatch) {
			var ms []Member
			for _, i := range batch {
				if ids[i] != "" {
					ms = append(ms, Member{ID: ids[i], Display: dir.Users[i].UserName})
				}
			}
			if err := c.AddMembers(ctx, gids[j], ms...); err != nil {
				if err := fail("add members to "+dir.Groups[j].DisplayName, err); err != nil {
					return finish(err)
				}
			} else {
				rep.MembersAdded += len(ms)
			}
			done += len(batch)
			c.progress(spec, "members", done, totalMembers)
		}
	}

	// Later changes, chosen reproducibly from the seed.
	rng := mrand.New(mrand.NewPCG(uint64(spec.Seed), 0x2545f4914f6cdd1d))
	perm := rng.Perm(len(dir.Users))

	for n, i := range perm[:spec.Updates] {
		if ids[i] == "" {
			continue
		}
		u := dir.Users[i]
		if m := dir.Managers[i]; m >= 0 {
			u.ManagerID = ids[m]
		}
		u.Title = "Senior " + u.Title
		u.FamilyName = familyNames[(slices.Index(familyNames, u.FamilyName)+1)%len(familyNames)]
		u.DisplayName = ""
		u.Department = departments[(slices.Index(departments, u.Department)+1)%len(departments)]
		if err := c.UpdateUser(ctx, ids[i], u); err != nil {
			if err := fail("update user "+u.UserName, err); err != nil {
				return finish(err)
			}
		} else {
			rep.UsersUpdated++
		}
		c.progress(spec, "updates", n+1, spec.Updates)
	}

	type membership struct{ group, user int }
	var all []membership
	for j, members := range dir.Members {
		for _, i := range members {
			all = append(all, membership{j, i})
		}
	}
	rng.Shuffle(len(all), func(a, b int) { all[a], all[b] = all[b], all[a] })
	removals := all[:min(spec.MemberRemovals, len(all))]
	byGroup := map[int][]string{}
	var order []int
	for _, m := range removals {
		if gids[m.group] == "" || ids[m.user] == "" {
			continue
		}
		if _, ok := byGroup[m.group]; !ok {
			order = append(order, m.group)
		}
		byGroup[m.group] = append(byGroup[m.group], ids[m.user])
	}
	slices.Sort(order)
	done = 0
	for _, j := range order {
		if err := c.RemoveMembers(ctx, gids[j], byGroup[j]...); err != nil {
			if err := fail("remove members from "+dir.Groups[j].DisplayName, err); err != nil {
				return finish(err)
			}
		} else {
			rep.MembersRemoved += len(byGroup[j])
		}
		done += len(byGroup[j])
		c.progress(spec, "removals", done, len(removals))
	}

	deactivated := perm[len(perm)-spec.Deactivations:]
	for n, i := range deactivated {
		if ids[i] == "" {
			continue
		}
		if err := c.DeactivateUser(ctx, ids[i]); err != nil {
			if err := fail("deactivate user "+dir.Users[i].UserName, err); err != nil {
				return finish(err)
			}
		} else {
			rep.UsersDeactivated++
		}
		c.progress(spec, "deactivations", n+1, len(deactivated))
	}

	for n, i := range deactivated[:spec.Deletions] {
		if ids[i] == "" {
			continue
		}
		if err := c.DeleteUser(ctx, ids[i]); err != nil {
			if err := fail("delete user "+dir.Users[i].UserName, err); err != nil {
				return finish(err)
			}
		} else {
			rep.UsersDeleted++
			delete(rep.UserIDs, dir.Users[i].UserName)
		}
		c.progress(spec, "deletions", n+1, spec.Deletions)
	}
	return finish(nil)
}

// provisionUsers pushes every user, spec.Concurrency at a time, recording
// ids[i] for each. fail is called with the report locked.
func (c *Client) provisionUsers(ctx context.Context, spec SyncSpec, dir *Directory, ids []string, rep *SyncReport, fail func(string, error) error) error {
	var mu sync.Mutex
	done := 0
	one := func(ctx context.Context, i int) error {
		u := dir.Users[i]
		if m := dir.Managers[i]; m >= 0 {
			u.ManagerID = ids[m] // pushed earlier: a lower index, or the first wave
		}
		id, created, err := c.provisionUser(ctx, u)
		mu.Lock()
		defer mu.Unlock()
		if id != "" {
			ids[i] = id
			rep.UserIDs[u.UserName] = id
			if created {
				rep.UsersCreated++
			} else {
				rep.UsersMatched++
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			if err := fail("provision user "+u.UserName, err); err != nil {
				return err
			}
		}
		done++
		c.progress(spec, "users", done, len(dir.Users))
		return nil
	}
	if spec.Concurrency <= 1 {
		for i := range dir.Users {
			if err := one(ctx, i); err != nil {
				return err
			}
		}
		return nil
	}
	var managers, others []int
	for i, m := range dir.Managers {
		if m < 0 {
			managers = append(managers, i)
		} else {
			others = append(others, i)
		}
	}
	for _, wave := range [][]int{managers, others} {
		if err := runPool(ctx, spec.Concurrency, wave, one); err != nil {
			return err
		}
	}
	return nil
}

// runPool calls fn for every item with n workers; the first error stops
// the pool and is returned.
func runPool(ctx context.Context, n int, items []int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for _, i := range items {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

func (c *Client) progress(spec SyncSpec, phase string, done, total int) {
	if spec.Progress != nil {
		spec.Progress(Progress{Phase: phase, Done: done, Total: total})
	}
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomAlnum(rng *mrand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[rng.IntN(len(alnum))]
	}
	return string(b)
}

func formatGUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func guidFrom(rng *mrand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return formatGUID(b)
}

// newGUID returns a random version 4 GUID read from r.
func newGUID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("scimsim: reading randomness: %w", err)
	}
	return formatGUID(b), nil
}
