package sqlitestore_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// TestTouchCoalesces checks that uses of a token or key less than a minute
// apart are recorded once, and later ones again.
func TestTouchCoalesces(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	d := sha256.Sum256([]byte("token"))
	k := sha256.Sum256([]byte("key"))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateOrganization(ctx, &store.Organization{ID: "org", Name: "Org", CreatedAt: t0}))
	must(s.CreateDirectory(ctx, &store.Directory{ID: "dir", OrgID: "org", State: store.DirectoryActive, CreatedAt: t0}))
	must(s.CreateDirectoryToken(ctx, &store.DirectoryToken{ID: "tok", DirectoryID: "dir", Digest: d[:], CreatedAt: t0}))
	must(s.CreateAPIKey(ctx, &store.APIKey{ID: "key", Name: "k", Digest: k[:], CreatedAt: t0}))
	lastUsed := func() (time.Time, time.Time) {
		tok, err := s.GetDirectoryTokenByDigest(ctx, d[:])
		must(err)
		key, err := s.GetAPIKeyByDigest(ctx, k[:])
		must(err)
		return tok.LastUsedAt, key.LastUsedAt
	}
	for _, step := range []struct {
		at   time.Duration
		want time.Duration
	}{
		{time.Hour, time.Hour},
		{time.Hour + 30*time.Second, time.Hour},
		{time.Hour + 59*time.Second, time.Hour},
		{time.Hour + 61*time.Second, time.Hour + 61*time.Second},
		{time.Hour, time.Hour + 61*time.Second}, // an older use never moves it back
	} {
		must(s.TouchDirectoryToken(ctx, "tok", t0.Add(step.at)))
		must(s.TouchAPIKey(ctx, "key", t0.Add(step.at)))
		tok, key := lastUsed()
		if want := t0.Add(step.want); !tok.Equal(want) || !key.Equal(want) {
			t.Errorf("after a use at +%v: token last used %v, key %v; want %v", step.at, tok, key, want)
		}
	}
}
