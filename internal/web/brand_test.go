package web

import (
	"github.com/onboardkit/onboardkit/admin"
	"strings"
	"testing"
)

func TestAccentContrast(t *testing.T) {
	t.Parallel()
	tests := []struct {
		accent string
		on     string
	}{
		{"#ffff00", "#111827"},
		{"#fde047", "#111827"},
		{"#ffffff", "#111827"},
		{"#000000", "#ffffff"},
		{"#3452c7", "#ffffff"},
		{"#00ff00", "#111827"},
		{"#777777", "#000000"},
		{"#808080", "#000000"},
		{"#767676", "#ffffff"},
	}
	for _, tt := range tests {
		t.Run(tt.accent, func(t *testing.T) {
			bg, ok := parseColor(tt.accent)
			if !ok {
				t.Fatal("parseColor failed")
			}
			on := readableOn(bg)
			if on.hex() != tt.on {
				t.Errorf("readableOn = %s, want %s", on.hex(), tt.on)
			}
			if r := contrast(on, bg); r < 4.5 {
				t.Errorf("text contrast %.2f < 4.5", r)
			}
			for _, surface := range []color{white(), pageBg()} {
				if r := contrast(inkOnPage(bg), surface); r < 4.5 {
					t.Errorf("ink contrast on %s %.2f < 4.5", surface.hex(), r)
				}
			}
		})
	}
	if got := BrandCSS("red;}body{display:none"); !strings.Contains(got, admin.DefaultAccentColor) || strings.Contains(got, "body") {
		t.Errorf("brandCSS wrote an invalid colour: %s", got)
	}
}
