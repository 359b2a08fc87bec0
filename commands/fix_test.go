package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/docker-heal/docker-heal/lint"
	"github.com/docker-heal/docker-heal/lint/rules"
)

// fixedKeys are the service keys each rule's fix may change: the compose
// model after --fix must equal the one before with these keys removed
// from the services fixed.
var fixedKeys = map[string][]string{
	"restart-policy-missing":        {"restart"},
	"log-rotation-missing":          {"logging"},
	"ulimit-nofile-low":             {"ulimits"},
	"pids-limit-missing":            {"pids_limit", "deploy.resources.limits.pids"},
	"init-missing":                  {"init"},
	"healthcheck-curl-no-fail":      {"healthcheck"},
	"image-unpinned":                {"image"},
	"port-published-all-interfaces": {"ports"},
	"stop-grace-period-short":       {"stop_grace_period"},
}

// fixStats counts what the round trips did, for the test log.
type fixStats struct {
	files, changed, composeLoaded, composeChecked int
	applied                                       map[string]int
}

// copyFiles copies the regular files under src to dst, keeping modes.
func copyFiles(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		// The copy is the test's to fix: writable whatever the source's mode
		// (the shared corpus is read-only, which --fix refuses).
		return os.WriteFile(target, b, st.Mode().Perm()|0o200)
	})
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
}

// snapshot reads every regular file under dir, by path relative to it.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil {
			rel, _ := filepath.Rel(dir, p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

// fixRoundTrip lints path (a compose file or Dockerfile in a copy), applies
// every fix (unsafe ones too), and checks what --fix promises: the fixed
// findings are gone, the compose model is the same apart from the fixed
// keys, every comment line is still there, and a second pass changes
// nothing.
func fixRoundTrip(t testing.TB, path string, st *fixStats) {
	t.Helper()
	ctx := context.Background()
	checker := &lint.Checker{Rules: rules.All()}
	run := func() *lint.Result {
		res, err := lint.Run(ctx, checker, lint.RunOptions{Paths: []string{path}})
		if err != nil {
			t.Fatalf("%s: lint: %v", path, err)
		}
		return res
	}
	st.files++
	before := run()
	declared := map[string]string{}
	for _, r := range rules.All() {
		declared[r.ID] = r.Fix
	}
	for _, f := range before.Findings {
		if f.Fix == nil {
			continue
		}
		kind := "safe"
		if f.Fix.Unsafe {
			kind = "unsafe"
		}
		if !slices.Contains(strings.Split(declared[f.Rule], ", "), kind) {
			t.Errorf("%s: %s carries a %s fix, but the rule declares Fix %q", f.Pos, f.Rule, kind, declared[f.Rule])
		}
	}
	plan, err := lint.PlanFixes(before.Findings, lint.FixUnsafe)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(plan.Files) == 0 {
		return
	}
	st.changed++
	isCompose := !lint.IsDockerfileName(filepath.Base(path))
	var modelBefore map[string]any
	if isCompose {
		modelBefore, _ = composeModel(path)
	}
	if err := plan.WriteFixes(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for id, n := range plan.Applied {
		st.applied[id] += n
	}
	// Comments, line for line.
	for file, ch := range plan.Files {
		if missing := lostComments(string(ch.Old), string(ch.New)); len(missing) > 0 {
			t.Errorf("%s: comment lines lost: %q", file, missing)
		}
		if bytes.Contains(ch.Old, []byte("\r\n")) && bytes.Count(ch.New, []byte("\n")) != bytes.Count(ch.New, []byte("\r\n")) {
			t.Errorf("%s: a CRLF file got LF line endings", file)
		}
	}
	after := run()
	// The fixed findings do not fire again.
	fixed := map[string]bool{}
	for _, f := range before.Findings {
		if f.Fixable(lint.FixUnsafe) {
			fixed[f.Rule+"\x00"+f.Subject+"\x00"+f.Pos.File] = true
		}
	}
	for _, f := range after.Findings {
		if fixed[f.Rule+"\x00"+f.Subject+"\x00"+f.Pos.File] && plan.Skipped == 0 {
			t.Errorf("%s: %s still fires on %s after --fix: %s", f.Pos, f.Rule, f.Subject, f.Message)
		}
		if f.Rule == lint.InvalidFileRule {
			t.Errorf("%s: the fixed file no longer loads: %s", f.Pos, f.Message)
		}
	}
	// The model, minus the fixed keys.
	if isCompose && modelBefore != nil {
		st.composeChecked++
		modelAfter, err := composeModel(path)
		if err != nil {
			t.Errorf("%s: compose-go cannot load the fixed file: %v", path, err)
		} else {
			st.composeLoaded++
			for _, f := range before.Findings {
				if !f.Fixable(lint.FixUnsafe) {
					continue
				}
				keys, ok := fixedKeys[f.Rule]
				if !ok {
					t.Errorf("%s: rule %s fixed a compose file but the test does not know which keys it changes", path, f.Rule)
				}
				for _, m := range []map[string]any{modelBefore, modelAfter} {
					if svc, ok := m["services"].(map[string]any)[f.Subject].(map[string]any); ok {
						for _, k := range keys {
							deletePath(svc, k)
						}
						// pre_start hooks inherit the service's container settings.
						hooks, _ := svc["pre_start"].([]any)
						for _, h := range hooks {
							if hook, ok := h.(map[string]any); ok {
								for _, k := range keys {
									deletePath(hook, k)
								}
							}
						}
					}
				}
			}
			if !reflect.DeepEqual(modelBefore, modelAfter) {
				b1, _ := json.MarshalIndent(modelBefore, "", " ")
				b2, _ := json.MarshalIndent(modelAfter, "", " ")
				t.Errorf("%s: the compose model changed beyond the fixed keys:\n%s", path, lineDiff(string(b1), string(b2)))
			}
		}
	}
	// A second --fix has nothing left to do.
	again, err := lint.PlanFixes(after.Findings, lint.FixUnsafe)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(again.Files) > 0 && plan.Skipped == 0 {
		t.Errorf("%s: a second --fix changes files again:\n%s", path, again.Diff(filepath.Dir(path)))
	}
}

// composeModel loads a compose file with compose-go as docker compose
// would (no OS environment, for a stable model) and returns it as JSON data.
func composeModel(path string) (map[string]any, error) {
	opts, err := cli.NewProjectOptions([]string{path}, cli.WithWorkingDirectory(filepath.Dir(path)), cli.WithDotEnv, cli.WithInterpolation(true), cli.WithName("fixtest"))
	if err != nil {
		return nil, err
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m["services"] == nil {
		m["services"] = map[string]any{}
	}
	return m, nil
}

// deletePath deletes a dotted key path ("deploy.resources.limits.pids").
func deletePath(m map[string]any, path string) {
	head, rest, nested := strings.Cut(path, ".")
	if !nested {
		delete(m, head)
		return
	}
	if sub, ok := m[head].(map[string]any); ok {
		deletePath(sub, rest)
	}
}

// lostComments returns the comment lines of old that new has fewer of.
func lostComments(old, new string) []string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "#") {
				m[l]++
			}
		}
		return m
	}
	o, n := count(old), count(new)
	var out []string
	for _, l := range slices.Sorted(maps.Keys(o)) {
		if n[l] < o[l] {
			out = append(out, l)
		}
	}
	return out
}

// lineDiff shows the lines of a that b lacks and the reverse, briefly.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for _, l := range al {
		if !slices.Contains(bl, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range bl {
		if !slices.Contains(al, l) {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 40 {
		out = out[:40]
	}
	return strings.Join(out, "\n")
}

// fixSources are the trees TestFixCorpus copies and fixes: the test data
// of the module and, when present, the shared corpus.
func fixSources(t *testing.T) map[string]string {
	out := map[string]string{
		"testdata":       "testdata",
		"rules-testdata": filepath.Join("..", "lint", "rules", "testdata"),
		"lint-testdata":  filepath.Join("..", "lint", "testdata"),
	}
	if c := sharedCorpus(t); c != "" {
		out["corpus"] = c
	}
	return out
}

// TestFixCorpus runs the fix round trip on every compose file and
// Dockerfile of the test data and the shared corpus, each in a copy.
func TestFixCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("copies and fixes every file of the corpus")
	}
	sources := fixSources(t)
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		t.Run(name, func(t *testing.T) {
			dst := t.TempDir()
			copyFiles(t, sources[name], dst)
			want, _ := lintables(t, dst)
			st := &fixStats{applied: map[string]int{}}
			for _, f := range want {
				fixRoundTrip(t, f, st)
			}
			ids := slices.Sorted(maps.Keys(st.applied))
			var parts []string
			for _, id := range ids {
				parts = append(parts, fmt.Sprintf("%s %d", id, st.applied[id]))
			}
			t.Logf("%s: %d files, %d changed by --fix --unsafe-fixes, %d/%d fixed compose files load with compose-go; fixes: %s",
				name, st.files, st.changed, st.composeLoaded, st.composeChecked, strings.Join(parts, ", "))
			// Files each fix applies to (the corpus has no curl probe without -f).
			wantFixes := map[string][]string{
				"corpus":         {"restart-policy-missing", "log-rotation-missing", "shell-form-cmd", "ulimit-nofile-low", "pids-limit-missing", "init-missing"},
				"rules-testdata": {"restart-policy-missing", "log-rotation-missing", "healthcheck-curl-no-fail", "shell-form-cmd", "ulimit-nofile-low", "pids-limit-missing", "init-missing"},
			}
			for _, id := range wantFixes[name] {
				if st.applied[id] == 0 {
					t.Errorf("no %s fix applied on %s", id, name)
				}
			}
		})
	}
}

// TestFixDiffAppliesAsFix checks that --diff's output, applied with
// patch -p1 (and git apply), gives the files --fix writes.
func TestFixDiffAppliesAsFix(t *testing.T) {
	src := filepath.Join("testdata", "fix")
	for _, tool := range []string{"patch", "git"} {
		t.Run(tool, func(t *testing.T) {
			if _, err := exec.LookPath(tool); err != nil {
				t.Fatalf("%s is not installed: %v", tool, err)
			}
			fixed, patched := t.TempDir(), t.TempDir()
			copyFiles(t, src, fixed)
			copyFiles(t, src, patched)
			orig := snapshot(t, patched)

			var out, errOut bytes.Buffer
			t.Chdir(patched)
			err := runLint(context.Background(), &out, &errOut, lintOptions{diff: true, unsafeFixes: true, imageConfig: "off"}, []string{"."})
			if code := exitCode(io.Discard, err); code != ExitFindings {
				t.Fatalf("--diff exit %d (%v), want 1; stderr: %s", code, err, errOut.String())
			}
			diff := out.String()
			if !strings.Contains(diff, "--- a/") || !strings.Contains(diff, "+++ b/") {
				t.Fatalf("--diff printed no a/ b/ diff:\n%s", diff)
			}
			if got := snapshot(t, patched); !reflect.DeepEqual(got, orig) {
				t.Fatal("--diff wrote files")
			}
			cmd := exec.Command("patch", "-p1", "--quiet")
			if tool == "git" {
				cmd = exec.Command("git", "apply", "-p1", "-")
			}
			cmd.Dir, cmd.Stdin = patched, strings.NewReader(diff)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s\ndiff:\n%s", cmd, err, b, diff)
			}

			t.Chdir(fixed)
			out.Reset()
			errOut.Reset()
			_ = runLint(context.Background(), &out, &errOut, lintOptions{fix: true, unsafeFixes: true, imageConfig: "off"}, []string{"."})
			if !strings.Contains(errOut.String(), "docker heal: fixed ") {
				t.Errorf("--fix did not say what it fixed: %s", errOut.String())
			}
			got, want := snapshot(t, patched), snapshot(t, fixed)
			for _, k := range slices.Sorted(maps.Keys(want)) {
				if got[k] != want[k] {
					t.Errorf("%s: the patched file differs from the fixed one:\npatched:\n%s\nfixed:\n%s", k, got[k], want[k])
				}
			}
			if reflect.DeepEqual(want, orig) {
				t.Error("--fix changed nothing")
			}
			// Nothing left: --diff is now empty and exits 0.
			out.Reset()
			if err := runLint(context.Background(), &out, &errOut, lintOptions{diff: true, unsafeFixes: true, imageConfig: "off"}, []string{"."}); exitCode(io.Discard, err) != 0 || out.Len() != 0 {
				t.Errorf("--diff after --fix: exit %d, output:\n%s", exitCode(io.Discard, err), out.String())
			}
		})
	}
}

// TestFixModeKept checks that --fix keeps the file's permissions.
func TestFixModeKept(t *testing.T) {
	dir := t.TempDir()
	copyFiles(t, filepath.Join("testdata", "fix"), dir)
	file := filepath.Join(dir, "compose.yaml")
	if err := os.Chmod(file, 0o640); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	_ = runLint(context.Background(), &out, &errOut, lintOptions{fix: true, imageConfig: "off"}, nil)
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode after --fix: %v, want 0640", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.Contains(n, ".heal-") {
			t.Errorf("temporary file left behind: %s", n)
		}
	}
}

// genCompose writes a compose file from fuzz input: services with and
// without the keys the fixes add, in the styles people use (indent of 2
// or 4, CRLF, comments, an x- logging anchor, flow and block lists, quoted
// and plain scalars), so the round trip runs on shapes nobody listed.
func genCompose(seed []byte) string {
	at := 0
	next := func(n int) int {
		if len(seed) == 0 || n <= 0 {
			return 0
		}
		v := int(seed[at%len(seed)])
		at++
		return v % n
	}
	unit := []string{"  ", "    ", "   "}[next(3)]
	eol := []string{"\n", "\r\n"}[next(2)]
	var b strings.Builder
	line := func(depth int, s string) {
		b.WriteString(strings.Repeat(unit, depth) + s + eol)
	}
	line(0, "# generated")
	anchor := next(3)
	switch anchor {
	case 1:
		line(0, "x-logging: &logging")
		line(1, "driver: json-file")
		line(1, "options:")
		line(2, `max-size: "20m"`)
	case 2:
		line(0, "x-defaults: &defaults")
		line(1, "logging:")
		line(2, "driver: local")
	}
	line(0, "services:")
	for i, n := 0, 1+next(4); i < n; i++ {
		if next(3) == 0 {
			line(1, "# service comment")
		}
		line(1, fmt.Sprintf("svc%d:", i))
		if next(4) == 0 {
			line(2, "# first key comment")
		}
		line(2, []string{"image: nginx:1.27", `image: "redis:7.4"`, "image: 'example/app:2'"}[next(3)])
		switch next(4) {
		case 1:
			line(2, "restart: always")
		case 2:
			line(2, `restart: "no"`)
		}
		switch next(5) {
		case 1:
			line(2, "logging:")
			line(3, "driver: json-file")
		case 2:
			line(2, "logging:")
			line(3, "options:")
			line(4, `max-file: "2"`)
		case 3:
			line(2, "logging:")
			line(3, "options:")
			line(4, "max-size: -1")
		case 4:
			if anchor == 1 {
				line(2, "logging: *logging")
			}
		}
		switch next(4) {
		case 1:
			line(2, "ulimits:")
			line(3, "nofile: 1024")
		case 2:
			line(2, "ulimits:")
			line(3, "nofile:")
			line(4, "soft: 1024")
			line(4, "hard: 2048")
		case 3:
			line(2, "ulimits:")
			line(3, "nproc: 512")
		}
		switch next(5) {
		case 1:
			line(2, "healthcheck:")
			line(3, `test: ["CMD", "curl", "http://localhost/"]`)
		case 2:
			line(2, "healthcheck:")
			line(3, "test: curl -s http://localhost/ || exit 1")
		case 3:
			line(2, "healthcheck:")
			line(3, "test:")
			line(4, "- CMD-SHELL")
			line(4, "- 'curl http://localhost/'")
		case 4:
			line(2, "healthcheck:")
			line(3, "test: ['CMD', 'timeout', '5', 'curl', '-s', 'http://localhost/']")
		}
		if next(3) == 0 {
			line(2, "deploy:")
			line(3, "resources:")
			line(4, "limits:")
			line(5, "memory: 256m")
		}
		if next(4) == 0 {
			line(2, "ports:")
			line(3, `- "8080:80"`)
		}
		if next(5) == 0 {
			line(2, "# a trailing comment")
		}
		if next(3) == 0 {
			b.WriteString(eol)
		}
	}
	return b.String()
}

// FuzzFixCompose runs the --fix round trip on generated compose files.
func FuzzFixCompose(f *testing.F) {
	for _, s := range []string{"", "\x00", "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01", "abcdefghijklmnopqrstuvwxyz", "\xff\x10\x22\x33\x44\x55\x66\x77\x88\x99"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, seed []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "compose.yaml")
		if err := os.WriteFile(path, []byte(genCompose(seed)), 0o644); err != nil {
			t.Fatal(err)
		}
		st := &fixStats{applied: map[string]int{}}
		fixRoundTrip(t, path, st)
		if st.composeChecked > 0 && st.composeLoaded == 0 {
			t.Fatalf("the fixed file does not load:\n%s", genCompose(seed))
		}
	})
}

// TestFixGenerated runs the fuzz target's round trip on a fixed set of
// generated files, and checks they exercise every compose fix.
func TestFixGenerated(t *testing.T) {
	st := &fixStats{applied: map[string]int{}}
	for i := range 60 {
		seed := []byte{byte(i), byte(i * 7), byte(i * 13), byte(i*31 + 5), byte(i * 3), byte(i*11 + 1), byte(i * 17), byte(i*19 + 2)}
		dir := t.TempDir()
		path := filepath.Join(dir, "compose.yaml")
		if err := os.WriteFile(path, []byte(genCompose(seed)), 0o644); err != nil {
			t.Fatal(err)
		}
		fixRoundTrip(t, path, st)
	}
	for _, id := range []string{"restart-policy-missing", "log-rotation-missing", "healthcheck-curl-no-fail", "ulimit-nofile-low", "pids-limit-missing"} {
		if st.applied[id] == 0 {
			t.Errorf("no generated file got a %s fix", id)
		}
	}
	if st.composeLoaded != st.composeChecked {
		t.Errorf("%d of %d fixed files load", st.composeLoaded, st.composeChecked)
	}
	t.Logf("%d files, %d changed, fixes %v", st.files, st.changed, st.applied)
}

// TestFixDiffGolden pins what the fixes write on a project that has the
// shapes they must respect: an x- logging anchor reused by alias, an
// override file and an extends target edited where they set the value, a
// 4-space file, a CRLF Dockerfile, comments, and an ignore pragma.
func TestFixDiffGolden(t *testing.T) {
	src, _ := filepath.Abs(filepath.Join("testdata", "fix"))
	goldenDir, _ := filepath.Abs(filepath.Join("testdata", "golden"))
	for _, c := range []struct {
		name   string
		unsafe bool
	}{{"fix.diff", false}, {"fix-unsafe.diff", true}} {
		dir := t.TempDir()
		golden := filepath.Join(goldenDir, c.name)
		copyFiles(t, src, dir)
		t.Chdir(dir)
		var out, errOut bytes.Buffer
		_ = runLint(context.Background(), &out, &errOut, lintOptions{diff: true, unsafeFixes: c.unsafe, imageConfig: "off"}, nil)
		if *update {
			if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != string(want) {
			t.Errorf("%s: --diff differs from the golden file (-update rewrites it):\n%s", c.name, out.String())
		}
	}
}

// TestFixEdgeCases pins what a fix does, or that it does nothing, where the
// text cannot be edited exactly or the value is shared.
func TestFixEdgeCases(t *testing.T) {
	for _, c := range []struct {
		name, in string
		// want is the whole fixed file; "" means unchanged.
		want string
	}{{
		name: "an anchored service is shared: only the one merging it is fixed",
		in:   "services:\n  web: &web\n    image: nginx:1.27\n    logging: {driver: local}\n  other:\n    <<: *web\n",
		want: "services:\n  web: &web\n    image: nginx:1.27\n    logging: {driver: local}\n  other:\n    restart: unless-stopped\n    <<: *web\n",
	}, {
		name: "a flow mapping is left alone",
		in:   "services:\n  web: {image: nginx:1.27}\n",
	}, {
		name: "a logging block reached through a shared anchor is left alone",
		in:   "x-log: &log\n  driver: json-file\nservices:\n  web:\n    image: nginx:1.27\n    restart: always\n    logging: *log\n",
	}, {
		name: "BOM and CRLF stay",
		in:   "\ufeffservices:\r\n  web:\r\n    image: nginx:1.27\r\n    logging:\r\n      driver: local\r\n",
		want: "\ufeffservices:\r\n  web:\r\n    restart: unless-stopped\r\n    image: nginx:1.27\r\n    logging:\r\n      driver: local\r\n",
	}, {
		name: "a silenced finding is not fixed",
		in:   "services:\n  # docker-heal ignore=restart-policy-missing\n  web:\n    image: nginx:1.27\n    logging:\n      driver: local\n",
	}, {
		name: "a tab-free 3-space file keeps its indent unit",
		in:   "services:\n   web:\n      image: nginx:1.27\n      restart: always\n      logging:\n         options:\n            max-file: '2'\n",
		want: "services:\n   web:\n      image: nginx:1.27\n      restart: always\n      logging:\n         options:\n            max-size: 10m\n            max-file: '2'\n",
	}, {
		name: "a published port written as a variable is left alone",
		in:   "services:\n  db:\n    image: redis:7.4\n    restart: always\n    logging: {driver: local}\n    ports:\n      - \"${REDIS_PORT}:6379\"\n",
	}, {
		name: "a port published on 0.0.0.0 or [::] written out is left alone (the author chose it)",
		in:   "services:\n  db:\n    image: redis:7.4\n    restart: always\n    logging: {driver: local}\n    ports:\n      - \"0.0.0.0:6379:6379\"\n      - \"[::]:16379:6379\"\n      - target: 5432\n        host_ip: 0.0.0.0\n        published: \"5432\"\n",
	}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(path, []byte(c.in), 0o644); err != nil {
				t.Fatal(err)
			}
			checker := &lint.Checker{Rules: []lint.Rule{rules.RestartPolicyMissing, rules.LogRotationMissing, rules.PortPublishedAllInterfaces}}
			res, err := lint.Run(context.Background(), checker, lint.RunOptions{Paths: []string{path}})
			if err != nil {
				t.Fatal(err)
			}
			plan, err := lint.PlanFixes(res.Findings, lint.FixUnsafe)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if ch, ok := plan.Files[path]; ok {
				got = string(ch.New)
			}
			if got != c.want {
				t.Errorf("fixed:\n%q\nwant:\n%q\nfindings: %v", got, c.want, res.Findings)
			}
		})
	}
}

// A text report ends with how many findings --fix fixes; --fix does not say it.
func TestFixHintAfterTextReport(t *testing.T) {
	dir := t.TempDir()
	src, _ := filepath.Abs(filepath.Join("testdata", "fix"))
	copyFiles(t, src, dir)
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	_ = runLint(context.Background(), &out, &errOut, lintOptions{imageConfig: "off"}, nil)
	if !strings.Contains(errOut.String(), "findings fixable with --fix (") {
		t.Errorf("no fix hint after the text report: %q", errOut.String())
	}
	out.Reset()
	errOut.Reset()
	_ = runLint(context.Background(), &out, &errOut, lintOptions{imageConfig: "off", findingOptions: findingOptions{format: "json"}}, nil)
	if strings.Contains(errOut.String(), "fixable") {
		t.Errorf("a fix hint with a JSON report: %q", errOut.String())
	}
}

// docker heal rules says which fixes each rule has.
func TestRulesListFixes(t *testing.T) {
	var out bytes.Buffer
	if err := runRules(&out); err != nil {
		t.Fatal(err)
	}
	for _, r := range rules.All() {
		want := r.Fix
		if want == "" {
			want = "-"
		}
		found := false
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(line, r.ID+" ") && strings.Contains(line, "  "+want+"  ") {
				found = true
			}
		}
		if !found {
			t.Errorf("rules: no line for %s with fix %q:\n%s", r.ID, want, out.String())
		}
	}
}
