package admin

import (
	"bytes"
	"errors"
	imgcolor "image/color"
	"testing"

	"github.com/onboardkit/onboardkit/internal/testkit"
)

func TestSniffImage(t *testing.T) {
	t.Parallel()
	gif := []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{0}, 20)...)
	webp := []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00")
	tests := []struct {
		name string
		data []byte
		want string // "" = refused
	}{
		{"png", testkit.PNG(t, imgcolor.RGBA{A: 255}), "image/png"},
		{"gif", gif, "image/gif"},
		{"jpeg", jpeg, "image/jpeg"},
		{"webp", webp, "image/webp"},
		{"ico", testkit.ICO(), "image/x-icon"},
		{"svg", []byte(testkit.SVG), ""},
		{"svg with xml prolog", []byte(`<?xml version="1.0"?>` + testkit.SVG), ""},
		{"html", []byte("<!DOCTYPE html><script>alert(1)</script>"), ""},
		{"text", []byte("hello"), ""},
		{"empty", []byte{}, ""},
		{"pdf", []byte("%PDF-1.7\n"), ""},
		{"too large png", append(testkit.PNG(t, imgcolor.RGBA{A: 255}), make([]byte, MaxBrandingImageBytes)...), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sniffImage("logo", tt.data)
			if tt.want == "" {
				if err == nil || !errors.Is(err, ErrInvalidInput) {
					t.Fatalf("accepted as %q (%v)", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
