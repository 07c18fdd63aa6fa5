package pgstore

import (
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/internal/pgtest"
)

// TestPlanCacheMode: every connection plans each execution with its
// arguments (see openDB), set after connecting rather than as a startup
// parameter; a DSN that names plan_cache_mode keeps its own.
func TestPlanCacheMode(t *testing.T) {
	dsn := pgtest.DSN(t)
	mode := func(dsn string) string {
		t.Helper()
		db, err := openDB(dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var m string
		if err := db.QueryRowContext(t.Context(), `SHOW plan_cache_mode`).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := mode(dsn); m != "force_custom_plan" {
		t.Fatalf("plan_cache_mode %q, want force_custom_plan", m)
	}
	own := dsn + "&plan_cache_mode=auto"
	if !strings.Contains(dsn, "://") {
		own = dsn + " plan_cache_mode=auto"
	} else if !strings.Contains(dsn, "?") {
		own = dsn + "?plan_cache_mode=auto"
	}
	if m := mode(own); m != "auto" {
		t.Fatalf("plan_cache_mode %q with the DSN's own, want auto", m)
	}
}
