package web

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type flashBody struct {
	Token string
	N     int
}

var testFlash = Flash{Name: "f", Secure: true, SameSite: http.SameSiteLaxMode}

func TestFlashRoundTripOnce(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	secret := []byte("session secret")
	w := httptest.NewRecorder()
	if err := testFlash.Put(w, rand.Reader, secret, "/portal/d", now, flashBody{"okscim_x", 7}); err != nil {
		t.Fatal(err)
	}
	set := w.Result().Cookies()
	if len(set) != 1 || !set[0].HttpOnly || set[0].Path != "/portal/d" || strings.Contains(set[0].Value, "okscim") {
		t.Fatalf("cookie %+v", set)
	}
	r := httptest.NewRequest("GET", "/portal/d", nil)
	r.AddCookie(set[0])
	w = httptest.NewRecorder()
	var got flashBody
	if !testFlash.Take(w, r, secret, "/portal/d", now.Add(time.Minute), &got) || got != (flashBody{"okscim_x", 7}) {
		t.Fatalf("Take: %+v", got)
	}
	if del := w.Result().Cookies(); len(del) != 1 || del[0].MaxAge >= 0 {
		t.Fatalf("not deleted: %+v", del)
	}
}

func TestFlashRefusesOtherSessionPageOrLate(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	v, err := testFlash.Seal(rand.Reader, []byte("a"), "/p", now.Add(FlashMaxAge), flashBody{N: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got flashBody
	for name, ok := range map[string]bool{
		"other session": testFlash.Open(v, []byte("b"), "/p", now, &got),
		"other page":    testFlash.Open(v, []byte("a"), "/q", now, &got),
		"expired":       testFlash.Open(v, []byte("a"), "/p", now.Add(FlashMaxAge+2*time.Second), &got),
		"other kind":    Flash{Name: "g"}.Open(v, []byte("a"), "/p", now, &got),
		"tampered":      testFlash.Open(v[:len(v)-2]+"AA", []byte("a"), "/p", now, &got),
	} {
		if ok {
			t.Errorf("%s: opened", name)
		}
	}
	if !testFlash.Open(v, []byte("a"), "/p", now, &got) || got.N != 1 {
		t.Fatalf("valid flash not opened")
	}
}

func TestFlashTooLarge(t *testing.T) {
	big := make([]byte, 8000)
	_, _ = rand.Read(big)
	if _, err := testFlash.Seal(rand.Reader, []byte("a"), "/p", time.Now(), big); err != ErrFlashTooLarge {
		t.Fatalf("err %v", err)
	}
}

func FuzzFlashOpen(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	v, _ := testFlash.Seal(rand.Reader, []byte("k"), "/p", now.Add(time.Minute), flashBody{N: 1})
	f.Add(v)
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		var got flashBody
		testFlash.Open(s, []byte("k"), "/p", now, &got)
	})
}
