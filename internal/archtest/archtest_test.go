package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/onboardkit/onboardkit/"

// Layers, lowest first. A package is in the layer of the longest prefix
// that names it or one of its parents; it may import packages of its own
// layer or lower ones, never higher ones.
const (
	layerBase    = iota // store and the small internal utilities
	layerKit            // ssokit, scimkit, domains, events (and their simulators)
	layerService        // admin
	layerSurface        // portal, dashboard, mgmtapi and their web plumbing
	layerExample        // examples
)

var layerOf = map[string]int{
	"store":                layerBase,
	"roles":                layerBase,
	"limits":               layerBase,
	"internal/secret":      layerBase,
	"internal/netutil":     layerBase,
	"internal/outbox":      layerBase,
	"internal/devui":       layerBase,
	"internal/pgtest":      layerBase,
	"internal/teststores":  layerBase,
	"internal/telemetry":   layerBase,
	"ssokit":               layerKit,
	"scimkit":              layerKit,
	"domains":              layerKit,
	"events":               layerKit,
	"gworkspace":           layerKit,
	"admin":                layerService,
	"internal/web":         layerSurface,
	"portal":               layerSurface,
	"dashboard":            layerSurface,
	"mgmtapi":              layerSurface,
	"examples":             layerExample,
	"internal/testkit":     layerExample, // test helpers: see testOnly
	"internal/surfacetest": layerExample,
	"internal/browsertest": layerExample,
	"internal/archtest":    layerBase,
	"health":               layerBase,
}

// products are the surfaces a host mounts or skips: none imports another.
var products = []string{"portal", "dashboard", "mgmtapi"}

// simulators are development tools: only examples and the adapters made
// for them (portal/simsync) import them.
var (
	simulators       = []string{"ssokit/idpsim", "scimkit/scimsim", "gworkspace/gwsim"}
	simulatorImports = []string{"examples", "portal/simsync", "ssokit/idpsim", "scimkit/scimsim", "gworkspace/gwsim"}
)

// testOnly packages are imported by tests only (and by each other).
var testOnly = []string{"internal/testkit", "internal/surfacetest", "internal/browsertest", "internal/teststores", "internal/telemetry/telemetrytest"}

// under reports whether pkg is root or a package below it.
func under(pkg, root string) bool { return pkg == root || strings.HasPrefix(pkg, root+"/") }

func underAny(pkg string, roots []string) bool {
	return slices.ContainsFunc(roots, func(r string) bool { return under(pkg, r) })
}

// exampleOf is the example ("examples/<name>") pkg belongs to.
func exampleOf(pkg string) string {
	parts := strings.SplitN(pkg, "/", 3)
	if len(parts) < 2 {
		return pkg
	}
	return parts[0] + "/" + parts[1]
}

// family is the root of pkg among the keys of layerOf.
func family(pkg string) (string, bool) {
	best := ""
	for root := range layerOf {
		if under(pkg, root) && len(root) > len(best) {
			best = root
		}
	}
	return best, best != ""
}

// violations lists the imports among module packages (path relative to
// the module -> its imports, also relative) that break the rules.
func violations(imports map[string][]string) []string {
	var out []string
	for pkg, imps := range imports {
		pf, ok := family(pkg)
		if !ok {
			out = append(out, pkg+": in no layer (add it to layerOf)")
			continue
		}
		for _, imp := range imps {
			f, ok := family(imp)
			if !ok {
				out = append(out, pkg+" imports "+imp+", which is in no layer")
				continue
			}
			switch {
			case underAny(imp, testOnly) && !underAny(pkg, testOnly):
				out = append(out, pkg+" imports the test helper "+imp)
			case underAny(imp, simulators) && !underAny(pkg, simulatorImports):
				out = append(out, pkg+" imports the simulator "+imp+": only a host (or an adapter it imports) may")
			case under(imp, "examples") && !under(pkg, exampleOf(imp)) && !(under(imp, "examples/internal") && under(pkg, "examples")):
				// examples/internal is the examples' shared start-up.
				out = append(out, pkg+" imports the example "+imp)
			case layerOf[f] > layerOf[pf]:
				out = append(out, pkg+" imports "+imp+", a higher layer")
			case layerOf[pf] == layerSurface && f != pf && underAny(imp, products):
				out = append(out, pkg+" imports "+imp+": one product must not import another")
			}
		}
	}
	sort.Strings(out)
	return out
}

// modulePackages parses the non-test Go files of the module below root and
// returns, per package directory relative to root, the module imports and
// the parsed files.
func modulePackages(t *testing.T, root string) (map[string][]string, map[string][]*ast.File) {
	t.Helper()
	imports := map[string][]string{}
	files := map[string][]*ast.File{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		files[pkg] = append(files[pkg], f)
		if _, ok := imports[pkg]; !ok {
			imports[pkg] = nil
		}
		for _, is := range f.Imports {
			p := strings.Trim(is.Path.Value, `"`)
			if rest, ok := strings.CutPrefix(p, module); ok && !slices.Contains(imports[pkg], rest) {
				imports[pkg] = append(imports[pkg], rest)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return imports, files
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	return root
}

// TestDependencyDirection: examples -> surfaces -> service -> kits ->
// store, with no import running back up, no product importing another, no
// production package importing a simulator or a test helper.
func TestDependencyDirection(t *testing.T) {
	imports, _ := modulePackages(t, moduleRoot(t))
	if len(imports) < 20 {
		t.Fatalf("found only %d packages: is the module root right?", len(imports))
	}
	for _, v := range violations(imports) {
		t.Error(v)
	}
}

// TestViolationsFound: the rules catch each kind of wrong import.
func TestViolationsFound(t *testing.T) {
	tests := []struct {
		pkg, imp string
	}{
		{"store", "ssokit"},
		{"ssokit", "admin"},
		{"admin", "portal"},
		{"admin", "internal/web"},
		{"portal", "dashboard"},
		{"dashboard", "mgmtapi"},
		{"portal", "scimkit/scimsim"},
		{"admin", "ssokit/idpsim"},
		{"mgmtapi", "internal/testkit"},
		{"portal", "examples/quickstart"},
		{"examples/quickstart", "examples/embedded"},
		{"nowhere", "store"},
	}
	for _, tt := range tests {
		if v := violations(map[string][]string{tt.pkg: {tt.imp}}); len(v) != 1 {
			t.Errorf("%s importing %s: %v, want one violation", tt.pkg, tt.imp, v)
		}
	}
	for _, ok := range [][2]string{
		{"examples/quickstart", "portal/simsync"},
		{"portal/simsync", "scimkit/scimsim"},
		{"portal/simsync", "portal"},
		{"portal", "admin"},
		{"dashboard", "internal/web"},
		{"internal/web", "admin"},
		{"admin", "ssokit"},
		{"ssokit", "domains"},
		{"internal/surfacetest", "internal/testkit"},
	} {
		if v := violations(map[string][]string{ok[0]: {ok[1]}}); len(v) != 0 {
			t.Errorf("%s importing %s refused: %v", ok[0], ok[1], v)
		}
	}
}

// TestPackageDocs: every package says what it is for, and no generated
// file carries a package comment (go doc would show it).
func TestPackageDocs(t *testing.T) {
	_, files := modulePackages(t, moduleRoot(t))
	for pkg, fs := range files {
		name := fs[0].Name.Name
		var docs []string
		for _, f := range fs {
			if f.Doc == nil {
				continue
			}
			if isGenerated(f) {
				t.Errorf("%s: a generated file has a package comment %q", pkg, firstLine(f.Doc.Text()))
				continue
			}
			docs = append(docs, f.Doc.Text())
		}
		if len(docs) != 1 {
			t.Errorf("%s: %d package comments, want one (in doc.go)", pkg, len(docs))
			continue
		}
		want := "Package " + name + " "
		if name == "main" {
			want = ""
		}
		if !strings.HasPrefix(docs[0], want) {
			t.Errorf("%s: the package comment starts %q, want %q", pkg, firstLine(docs[0]), want)
		}
	}
}

func isGenerated(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		if strings.HasPrefix(cg.Text(), "Code generated ") {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestOpenTelemetryAPIOnly: the library uses the OpenTelemetry API only;
// the SDK and exporters are the host's choice, imported by examples and
// test helpers alone.
func TestOpenTelemetryAPIOnly(t *testing.T) {
	_, files := modulePackages(t, moduleRoot(t))
	for pkg, fs := range files {
		if under(pkg, "examples") || underAny(pkg, testOnly) {
			continue
		}
		for _, f := range fs {
			for _, is := range f.Imports {
				p := strings.Trim(is.Path.Value, `"`)
				if under(p, "go.opentelemetry.io/otel/sdk") || under(p, "go.opentelemetry.io/otel/exporters") {
					t.Errorf("%s imports %s: only examples and test helpers may import the OpenTelemetry SDK", pkg, p)
				}
			}
		}
	}
}
