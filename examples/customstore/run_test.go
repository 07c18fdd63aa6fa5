package main

import (
	"path/filepath"
	"testing"

	"github.com/onboardkit/onboardkit/examples/internal/runtest"
)

// TestRun starts the example as main does, twice on the same databases,
// loads the customer list and stops it by cancelling its context.
func TestRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "app.db")
	runtest.Twice(t, run, []string{"-addr", "127.0.0.1:0", "-db", db}, "app: ", "New customer")
}
