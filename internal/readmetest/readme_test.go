// Package readmetest checks that the code in README.md compiles.
package readmetest

import (
	"bytes"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMountingSnippetCompiles extracts the Go program under "## Mounting"
// in README.md, writes it into a directory of the module (under testdata,
// so that ./... patterns skip it) and runs go vet on it, which type-checks
// it against the current packages.
func TestMountingSnippetCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program with the go command")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, ok := goBlockAfter(string(readme), "## Mounting\n")
	if !ok {
		t.Fatal(`README.md has no Go code block under "## Mounting"`)
	}
	if !strings.HasPrefix(src, "package main\n") {
		t.Fatalf("the mounting snippet is not a whole program: it starts with %q", strings.SplitN(src, "\n", 2)[0])
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("testdata", "snippet-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if formatted, err := format.Source([]byte(src)); err != nil || !bytes.Equal(formatted, []byte(src)) {
		t.Errorf("the mounting snippet is not gofmt-formatted (%v)", err)
	}
	vet := exec.Command("go", "vet", "./"+filepath.ToSlash(dir))
	if out, err := vet.CombinedOutput(); err != nil {
		t.Fatalf("go vet on README's mounting snippet: %v\n%s\n--- snippet ---\n%s", err, out, src)
	}
}

// goBlockAfter returns the first ```go block after heading in md.
func goBlockAfter(md, heading string) (string, bool) {
	_, rest, ok := strings.Cut(md, heading)
	if !ok {
		return "", false
	}
	_, rest, ok = strings.Cut(rest, "```go\n")
	if !ok {
		return "", false
	}
	src, _, ok := strings.Cut(rest, "\n```")
	return src + "\n", ok
}
