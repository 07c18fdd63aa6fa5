package ssokit

import (
	"net/url"
	"strings"
)

// SanitizeReturnTo returns raw if it is a safe place to send a browser after
// login, else "/". Safe means a same-origin absolute path ("/app?x=1"), or
// an absolute http(s) URL whose origin is in allow (origins such as
// "https://app.example.com", compared case-insensitively).
//
// Refused, and replaced by "/": protocol-relative "//evil", "/\evil",
// "https:evil", any scheme other than http and https (javascript:, data:),
// user info, control characters (CR, LF, tab), backslashes, and
// percent-encoded slashes, backslashes or control characters, which a later
// decoding step could turn into one of the above.
func SanitizeReturnTo(raw string, allow []string) string {
	set := make(map[string]bool, len(allow))
	for _, a := range allow {
		set[strings.ToLower(strings.TrimSuffix(a, "/"))] = true
	}
	return sanitizeReturnTo(raw, set)
}

func sanitizeReturnTo(raw string, allow map[string]bool) string {
	const fallback = "/"
	if raw == "" || len(raw) > 2048 {
		return fallback
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c < 0x20 || c == 0x7f || c == '\\' {
			return fallback
		}
		if c == '%' {
			if i+2 >= len(raw) {
				return fallback
			}
			h := strings.ToLower(raw[i+1 : i+3])
			if h == "2f" || h == "5c" || h[0] == '0' || h[0] == '1' || h == "7f" {
				return fallback
			}
		}
	}
	if raw[0] == '/' {
		if len(raw) > 1 && (raw[1] == '/' || raw[1] == '\\') {
			return fallback
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
			return fallback
		}
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return fallback
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fallback
	}
	if strings.HasPrefix(u.Path, "//") {
		return fallback
	}
	if !allow[strings.ToLower(u.Scheme+"://"+u.Host)] {
		return fallback
	}
	return raw
}
