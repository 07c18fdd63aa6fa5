package pgtest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func TestWithSearchPath(t *testing.T) {
	for _, tt := range []struct{ dsn, want string }{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
			"postgres://postgres@127.0.0.1:5432/test?search_path=okt_00ff&sslmode=disable"},
		{"postgresql://u:p%40ss@localhost/db",
			"postgresql://u:p%40ss@localhost/db?search_path=okt_00ff"},
		{"postgres://localhost/db?search_path=public&sslmode=disable",
			"postgres://localhost/db?search_path=okt_00ff&sslmode=disable"},
		{"host=127.0.0.1 user=postgres dbname=test sslmode=disable",
			"host=127.0.0.1 user=postgres dbname=test sslmode=disable search_path=okt_00ff"},
		{"host=/var/run/postgresql password='a://b' dbname=test",
			"host=/var/run/postgresql password='a://b' dbname=test search_path=okt_00ff"},
	} {
		got, err := withSearchPath(tt.dsn, "okt_00ff")
		if err != nil || got != tt.want {
			t.Errorf("withSearchPath(%q) = %q, %v; want %q", tt.dsn, got, err, tt.want)
		}
	}
	for _, dsn := range []string{"postgres://h:port/db", "postgres://h/db?sslmode=%zz"} {
		if got, err := withSearchPath(dsn, "okt_00ff"); err == nil {
			t.Errorf("withSearchPath(%q) = %q, want an error", dsn, got)
		}
	}
}

func TestValidPrefix(t *testing.T) {
	for _, p := range []string{"okt", "scim_bench", "domains_test", "a1"} {
		if !validPrefix(p) {
			t.Errorf("validPrefix(%q) = false, want true", p)
		}
	}
	for _, p := range []string{"", "Okt", "a-b", `a"b`, "a b", "é"} {
		if validPrefix(p) {
			t.Errorf("validPrefix(%q) = true, want false", p)
		}
	}
}

// recorder is a testing.TB recording how DSN ends it; DSN only calls the
// methods it defines.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runDSN calls DSN on a recorder in a goroutine of its own, as Skipf and
// Fatalf end it.
func runDSN() (dsn string, r *recorder) {
	r = new(recorder)
	done := make(chan struct{})
	go func() {
		defer close(done)
		dsn = DSN(r)
	}()
	<-done
	return dsn, r
}

func TestDSN(t *testing.T) {
	const set = "host=127.0.0.1 dbname=test"
	for _, tt := range []struct {
		name, env, ci   string
		skipped, failed bool
		enabled         bool
	}{
		{name: "set", env: set, enabled: true},
		{name: "set under CI", env: set, ci: "true", enabled: true},
		{name: "unset", skipped: true},
		{name: "unset under CI", ci: "true", failed: true, enabled: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(DSNEnv, tt.env)
			t.Setenv("CI", tt.ci)
			dsn, r := runDSN()
			if r.skipped != tt.skipped || r.failed != tt.failed {
				t.Fatalf("DSN: skipped %v, failed %v (%q); want skipped %v, failed %v", r.skipped, r.failed, r.msg, tt.skipped, tt.failed)
			}
			if !r.skipped && !r.failed && dsn != tt.env {
				t.Errorf("DSN = %q, want %q", dsn, tt.env)
			}
			if (r.skipped || r.failed) && !strings.Contains(r.msg, DSNEnv) || r.skipped && !strings.Contains(r.msg, exampleDSN) {
				t.Errorf("DSN message %q does not name %s and an example", r.msg, DSNEnv)
			}
			if got := Enabled(); got != tt.enabled {
				t.Errorf("Enabled() = %v, want %v", got, tt.enabled)
			}
		})
	}
}
