package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store/memstore"
)

func TestTracerProviderStdout(t *testing.T) {
	var buf bytes.Buffer
	tp, err := newTracerProvider("stdout", &buf)
	if err != nil || tp == nil {
		t.Fatalf("stdout: %v, %v", tp, err)
	}
	srv, err := scimkit.New(scimkit.Config{Store: memstore.New(), BaseURL: "http://127.0.0.1/scim", TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/dir_x/Users", nil))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status %d", w.Code)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, `"onboardkit.scim.request"`) || !strings.Contains(out, `"http.response.status_code"`) {
		t.Fatalf("exported: %s", out)
	}

	if tp, err := newTracerProvider("", &buf); tp != nil || err != nil {
		t.Errorf("unset: %v, %v", tp, err)
	}
	if _, err := newTracerProvider("jaeger", &buf); err == nil {
		t.Error("an unknown exporter was accepted")
	}
}
