package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRun starts the example as main does, twice on one database, loads the
// printed settings page and stops it by cancelling its context.
func TestRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "embedded.db")
	for range 2 {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		runCtx, stop := context.WithCancel(ctx)
		outR, outW := io.Pipe()
		done := make(chan error, 1)
		go func() {
			err := run(runCtx, []string{"-addr", "127.0.0.1:0", "-db", db}, outW, io.Discard)
			outW.Close()
			done <- err
		}()
		var settings string
		sc := bufio.NewScanner(outR)
		for settings == "" && sc.Scan() {
			_, settings, _ = strings.Cut(sc.Text(), "settings page: ")
		}
		go io.Copy(io.Discard, outR)
		if settings == "" {
			stop()
			t.Fatalf("no settings page printed: %v", <-done)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, settings, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `allow="clipboard-write"`) {
			t.Errorf("settings page: status %d", resp.StatusCode)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatalf("run: %v", err)
		}
		cancel()
	}
}
