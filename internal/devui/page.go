package devui

import (
	"bytes"
	"html/template"
	"net/http"
)

// Chrome is what the shared layout needs. Page data types embed it, so
// that the layout reads {{.Title}}, {{.Banner}}... and the page's own
// "content" template reads the page's fields beside them.
type Chrome struct {
	// Title of the page, before the product name in <title>.
	Title string
	// Banner is the development warning shown at the top of every page.
	Banner string
	// StaticURL is the URL prefix of the assets, without a trailing slash:
	// the layout links StaticURL+"/style.css" and StaticURL+"/theme.css".
	StaticURL string
	// HomeURL is the URL of the simulator's home page.
	HomeURL string
	// Brand is the theme's branding; Render fills it in.
	Brand Branding
}

// chrome lets Render fill in the brand of any page type embedding Chrome.
type chrome interface{ chrome() *Chrome }

func (c *Chrome) chrome() *Chrome { return c }

const layoutTmpl = `{{define "layout"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{.Title}} · {{.Brand.Name}} ({{.Banner}})</title>
<link rel="stylesheet" href="{{.StaticURL}}/style.css">
<link rel="stylesheet" href="{{.StaticURL}}/theme.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<div class="devbanner" role="alert" data-testid="dev-banner">{{.Banner}}</div>
<header>{{if .Brand.LogoURL}}<img src="{{.Brand.LogoURL}}" alt="">{{end}}<a href="{{.HomeURL}}">{{.Brand.Name}}</a></header>
<main id="main">
{{template "content" .}}
</main>
</body>
</html>{{end}}`

// Parse returns the shared layout with funcs and the given templates
// parsed into it; one of them must define "content". Execute the result's
// "layout" template, through Render.
func Parse(funcs template.FuncMap, texts ...string) (*template.Template, error) {
	t, err := template.New("layout").Funcs(funcs).Parse(layoutTmpl)
	if err != nil {
		return nil, err
	}
	for _, s := range texts {
		if t, err = t.Parse(s); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Render executes page's "layout" template with data into a buffer, then
// writes it with the theme's security headers and status. data is a
// pointer to a struct embedding Chrome; its Brand is set from theme. On a
// template error nothing but a generic 500 is written and the error is
// returned for the caller to log.
func Render(w http.ResponseWriter, page *template.Template, theme *Theme, status int, data any) error {
	if c, ok := data.(chrome); ok {
		c.chrome().Brand = theme.brand
	}
	var buf bytes.Buffer
	if err := page.ExecuteTemplate(&buf, "layout", data); err != nil {
		theme.SetHeaders(w)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return err
	}
	theme.SetHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}
