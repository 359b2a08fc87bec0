package lint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/docker-heal/docker-heal/internal/bounded"
	"github.com/docker-heal/docker-heal/lint/dockerfile"
)

// RunOptions say what `docker heal lint` lints.
type RunOptions struct {
	// Paths are compose files, Dockerfiles or folders; empty: the compose
	// project of the current (or --project-directory) folder.
	Paths []string
	// Project carries -f, --profile, --env-file and --project-directory.
	Project ProjectOptions
	// Images looks up the configs of the images services run and Dockerfiles
	// build FROM; nil: none is looked up, rules say the config is unknown.
	Images ImageResolver
	// Stdin is what the PATH "-" reads.
	Stdin *Stdin
}

// Result is what a lint run found, and which files it read.
type Result struct {
	Findings []Finding
	// Files are every compose file and Dockerfile examined, parsed or not.
	Files []string
	// NotChecked are the checks rules did not run because their answer
	// depends on something unknown (an image nobody inspected); never findings.
	NotChecked []NotChecked
	// ImageWhy says why image configs were unknown in this run, and
	// ImageHint what would make them known (from the ImageResolver).
	ImageWhy, ImageHint string
}

// NotCheckedSummary is the run's not-checked summary, one line per reason.
func (res *Result) NotCheckedSummary() []NotCheckedGroup {
	return SummariseNotChecked(res.NotChecked, res.ImageWhy, res.ImageHint)
}

// InvalidFileRule is the id of the finding a file that cannot be parsed gets.
const InvalidFileRule = "invalid-file"

// UnsetVariableRule is the id of the finding a ${VAR} with no value and no
// default gets; the compose loader finds them.
const UnsetVariableRule = "unset-variable"

// UsageError is a problem with what was asked (a PATH that does not exist,
// nothing to lint): the command exits 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

var (
	composeNameRe = regexp.MustCompile(`(?i)^((docker-)?compose([.\-_][^/]*)?|[^/]+[.\-_](docker-)?compose)\.ya?ml$`)
	skipDirs      = map[string]bool{".git": true, "node_modules": true, "vendor": true, ".venv": true, "__pycache__": true}
)

// IsDockerfileName says whether a base name is a Dockerfile's
// (dockerfile.IsDockerfileName).
func IsDockerfileName(name string) bool { return dockerfile.IsDockerfileName(name) }

// IsComposeName says whether a base name looks like a compose file when
// found in a folder walk (other YAML, like Kubernetes manifests, is skipped).
func IsComposeName(name string) bool { return composeNameRe.MatchString(name) }

// Run lints what opts names with the checker's rules. Compose projects are
// found first, then loaded and checked in parallel (compose-go's loading is
// most of the time); the result is the same whatever the scheduling.
func Run(ctx context.Context, c *Checker, opts RunOptions) (*Result, error) {
	r := &runner{ctx: ctx, checker: c, images: opts.Images, dockerfiles: map[string]*Dockerfile{}, seen: map[string]bool{}, pragmas: map[string]*Ignores{}}
	if len(opts.Paths) == 0 {
		if err := r.defaultProject(opts.Project); err != nil {
			return nil, err
		}
	}
	defer r.cleanup()
	for _, p := range opts.Paths {
		if p == StdinPath {
			if err := r.stdin(opts.Stdin, opts.Project); err != nil {
				return nil, err
			}
			continue
		}
		if err := r.path(p, opts.Project); err != nil {
			return nil, err
		}
	}
	if err := r.runProjects(); err != nil {
		return nil, err
	}
	if len(r.res.Files) == 0 {
		return nil, &UsageError{Msg: fmt.Sprintf("nothing to lint in %s: no compose file or Dockerfile found", strings.Join(opts.Paths, ", "))}
	}
	r.attachDockerfileBases()
	r.lintDockerfiles()
	r.filterInvalid()
	r.applyRenames()
	SortFindings(r.res.Findings)
	// A fragment linted with its base repeats the base's findings.
	r.res.Findings = slices.CompactFunc(r.res.Findings, SameFinding)
	sortNotChecked(r.res.NotChecked)
	r.res.NotChecked = slices.Compact(r.res.NotChecked)
	sort.Strings(r.res.Files)
	r.res.ImageWhy, r.res.ImageHint = explainImages(opts.Images)
	return &r.res, nil
}

type runner struct {
	ctx         context.Context
	checker     *Checker
	images      ImageResolver
	res         Result
	dockerfiles map[string]*Dockerfile // by absolute path; nil when it failed to parse
	dfOrder     []string
	seen        map[string]bool
	projects    []ProjectOptions // found, not yet loaded
	invalids    []invalidFinding
	pragmas     map[string]*Ignores // by absolute path, from the loaders
	// renames are temporary paths (standard input's copy) and the names
	// the result gives them; cleanups remove those copies.
	renames  [][2]string
	cleanups []func()
}

func (r *runner) cleanup() {
	for _, c := range r.cleanups {
		c()
	}
}

// projectResult is one project loaded and checked off the main goroutine.
type projectResult struct {
	p        *Project
	findings []Finding
	notes    []NotChecked
	err      error
}

func (r *runner) runProjects() error {
	results := make([]projectResult, len(r.projects))
	_ = bounded.Each(r.ctx, runtime.GOMAXPROCS(0), len(r.projects), func(_ context.Context, i int) error {
		p, err := loadOrMergeFragment(r.ctx, r.projects[i])
		results[i] = projectResult{p: p, err: err}
		return nil
	})
	if err := r.ctx.Err(); err != nil {
		return err // cancelled: some projects were never loaded
	}
	// The images of every project are looked up in one batch, so lookups run
	// concurrently across projects (bounded by the resolver), not a few
	// projects at a time; then each project is checked with what was found.
	var refs []string
	for _, res := range results {
		if res.err == nil {
			refs = append(refs, res.p.ImageRefs()...)
		}
	}
	slices.Sort(refs)
	found := r.resolveImages(slices.Compact(refs))
	_ = bounded.Each(r.ctx, runtime.GOMAXPROCS(0), len(results), func(_ context.Context, i int) error {
		if res := &results[i]; res.err == nil {
			res.p.AttachImages(found)
			for _, svc := range res.p.Services {
				fs, ns := r.checker.CheckServiceNotes(svc, res.p.Ignores)
				res.findings = append(res.findings, fs...)
				res.notes = append(res.notes, ns...)
			}
		}
		return nil
	})
	if err := r.ctx.Err(); err != nil {
		return err
	}
	for i, res := range results {
		if err := r.merge(r.projects[i], res); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) defaultProject(po ProjectOptions) error {
	// Discovery must be known now: with no compose file, the folder's
	// Dockerfile is linted instead.
	p, err := LoadProject(r.ctx, po)
	if err == nil || !errors.Is(err, ErrNoComposeFile) {
		res := projectResult{p: p, err: err}
		if err == nil {
			r.attachImages(p)
			for _, svc := range p.Services {
				fs, ns := r.checker.CheckServiceNotes(svc, p.Ignores)
				res.findings = append(res.findings, fs...)
				res.notes = append(res.notes, ns...)
			}
		}
		return r.merge(po, res)
	}
	// No compose project here: lint the folder's Dockerfile, as hadolint would.
	dir := po.WorkingDir
	if dir == "" {
		dir = "."
	}
	for _, name := range []string{"Dockerfile", "Containerfile"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil && !st.IsDir() {
			r.dockerfile(filepath.Join(dir, name), false)
			return nil
		}
	}
	abs, _ := filepath.Abs(dir)
	for _, name := range []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml", "Dockerfile", "Containerfile"} {
		if target, err := os.Readlink(filepath.Join(dir, name)); err == nil {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				return &UsageError{Msg: fmt.Sprintf("nothing to lint in %s: %s is a symlink to %s, which does not exist", abs, name, target)}
			}
		}
	}
	return &UsageError{Msg: fmt.Sprintf("nothing to lint in %s: %v, and no Dockerfile; name a PATH or use -f", abs, ErrNoComposeFile)}
}

func (r *runner) path(p string, po ProjectOptions) error {
	st, err := os.Stat(p)
	if err != nil {
		if os.IsNotExist(err) {
			if target, lerr := os.Readlink(p); lerr == nil {
				return &UsageError{Msg: fmt.Sprintf("%s: a symlink to %s, which does not exist", p, target)}
			}
			return &UsageError{Msg: fmt.Sprintf("%s: no such file or folder", p)}
		}
		return &UsageError{Msg: fmt.Sprintf("%s: %v", p, err)}
	}
	if st.IsDir() {
		return r.walk(p, po)
	}
	name := filepath.Base(p)
	ext := strings.ToLower(filepath.Ext(name))
	if (ext == ".yaml" || ext == ".yml") && !IsDockerfileName(name) {
		if slices.Contains(defaultComposeNames, name) || slices.Contains(defaultOverrideNames, name) {
			// compose.yaml or its override (pre-commit passes the changed
			// one alone) is the folder's project as docker compose loads it
			// there, base and override merged: an override on its own has
			// no image, and linting each file apart would say so wrongly.
			r.defaultProjectIn(filepath.Dir(p), po)
			return nil
		}
		po.ConfigFiles, po.mayBeFragment = []string{p}, true
		r.project(po)
		return nil
	}
	r.dockerfile(p, false)
	return nil
}

// walk finds every compose project and Dockerfile under dir. A folder
// holding a default compose file is one project (with its override); other
// compose-named files are projects of their own.
func (r *runner) walk(root string, po ProjectOptions) error {
	po.Root = root
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return &UsageError{Msg: fmt.Sprintf("%s: %v", root, err)}
			}
			r.invalid(path, "cannot read: "+readFailure(err))
			return nil
		}
		if d.IsDir() {
			if path != root && (skipDirs[d.Name()] || d.Type()&fs.ModeSymlink != 0) {
				return filepath.SkipDir
			}
			return r.walkDir(path, po)
		}
		if IsDockerfileName(d.Name()) && d.Type().IsRegular() {
			r.dockerfile(path, false)
		}
		return nil
	})
}

func (r *runner) walkDir(dir string, po ProjectOptions) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		r.invalid(dir, "cannot read folder: "+readFailure(err))
		return filepath.SkipDir
	}
	isDefault := map[string]bool{}
	for _, n := range append(append([]string{}, defaultComposeNames...), defaultOverrideNames...) {
		isDefault[n] = true
	}
	hasDefault := false
	for _, e := range entries {
		if isDefault[e.Name()] && !e.IsDir() && usableInTree(po.Root, filepath.Join(dir, e.Name())) {
			hasDefault = true
		}
	}
	if hasDefault {
		r.defaultProjectIn(dir, po)
	}
	for _, e := range entries {
		if e.IsDir() || isDefault[e.Name()] || !IsComposeName(e.Name()) || !usableInTree(po.Root, filepath.Join(dir, e.Name())) {
			continue
		}
		spo := po
		spo.WorkingDir, spo.ConfigFiles, spo.mayBeFragment = dir, []string{filepath.Join(dir, e.Name())}, true
		r.project(spo)
	}
	return nil
}

var (
	defaultComposeNames  = []string{"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"}
	defaultOverrideNames = []string{"compose.override.yml", "compose.override.yaml", "docker-compose.override.yml", "docker-compose.override.yaml"}
)

// defaultProjectIn queues the default project (compose.yaml and its
// override) of dir once, however many of its files were named.
func (r *runner) defaultProjectIn(dir string, po ProjectOptions) {
	for _, q := range r.projects {
		if q.NoUpwardSearch && len(q.ConfigFiles) == 0 && absPath(q.WorkingDir) == absPath(dir) {
			return
		}
	}
	po.WorkingDir, po.ConfigFiles, po.NoUpwardSearch = dir, nil, true
	r.project(po)
}

// project queues one compose project to load and lint.
func (r *runner) project(po ProjectOptions) {
	r.projects = append(r.projects, po)
}

// merge adds a loaded project's files and findings. A file that cannot be
// loaded becomes an invalid-file finding; the run goes on.
func (r *runner) merge(po ProjectOptions, res projectResult) error {
	p, err := res.p, res.err
	if err != nil {
		if errors.Is(err, ErrNoComposeFile) {
			if len(po.ConfigFiles) == 0 && po.NoUpwardSearch {
				return nil // a folder walk raced with a file's removal
			}
			return &UsageError{Msg: err.Error()}
		}
		var fe *fragmentError
		if errors.As(err, &fe) {
			r.addFile(fe.file)
			pe := fe.errs.Errs[0]
			r.invalids = append(r.invalids, invalidFinding{
				finding: Finding{Rule: InvalidFileRule, Pos: pe.Pos, Subject: filepath.Base(fe.file), Message: fe.Error(), URL: DocsURL(InvalidFileRule)},
				// Not an error: the file may be meant for a project elsewhere.
				severity: SeverityInfo,
			})
			return nil
		}
		var pes *ProjectErrors
		if errors.As(err, &pes) {
			for _, f := range po.ConfigFiles {
				r.addFile(absPath(f))
			}
			for _, pe := range pes.Errs {
				r.addFile(pe.Pos.File)
				r.invalidError(pe)
			}
			return nil
		}
		var pe *ParseError
		if errors.As(err, &pe) {
			r.addFile(pe.Pos.File)
			for _, f := range po.ConfigFiles {
				r.addFile(absPath(f))
			}
			r.invalidError(pe)
			return nil
		}
		if po.Root != "" && len(po.ConfigFiles) == 0 {
			// A project a walk found: whatever stopped it, the rest is linted.
			r.addFile(absPath(po.WorkingDir))
			r.invalid(absPath(po.WorkingDir), err.Error())
			return nil
		}
		if len(po.ConfigFiles) > 0 {
			if _, serr := os.Stat(po.ConfigFiles[0]); serr != nil {
				return &UsageError{Msg: fmt.Sprintf("%s: %v", po.ConfigFiles[0], serr)}
			}
			r.addFile(absPath(po.ConfigFiles[0]))
			r.invalidAt(Position{File: absPath(po.ConfigFiles[0])}, err.Error())
			return nil
		}
		return &UsageError{Msg: err.Error()}
	}
	for _, f := range p.Files {
		r.addFile(f)
	}
	for f, ig := range p.Ignores {
		r.pragmas[f] = ig
	}
	for _, pe := range p.Problems {
		r.addFile(pe.Pos.File)
		r.invalidError(pe)
	}
	for _, df := range p.Dockerfiles {
		r.addDockerfile(df.Path, df, true)
	}
	r.res.Findings = append(r.res.Findings, res.findings...)
	r.res.NotChecked = append(r.res.NotChecked, res.notes...)
	for _, u := range p.UnsetVariables {
		subject := u.Service
		if subject == "" {
			subject = filepath.Base(u.Pos.File)
		}
		r.invalids = append(r.invalids, invalidFinding{
			finding: Finding{Rule: UnsetVariableRule, Pos: u.Pos, Subject: subject, Message: u.Message(), URL: DocsURL(UnsetVariableRule)},
			ignore:  u.ServiceIgnores,
		})
	}
	return nil
}

func (r *runner) dockerfile(path string, used bool) {
	abs := absPath(path)
	if _, ok := r.dockerfiles[abs]; ok {
		return
	}
	r.addFile(abs)
	df, err := LoadDockerfile(abs)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			r.invalidAt(pe.Pos, pe.Msg)
		} else {
			r.invalid(abs, "cannot read: "+readFailure(err))
		}
		r.addDockerfile(abs, nil, used)
		return
	}
	r.addDockerfile(abs, df, used)
}

func (r *runner) addDockerfile(abs string, df *Dockerfile, used bool) {
	r.addFile(abs)
	if prev, ok := r.dockerfiles[abs]; ok {
		if prev != nil && used {
			prev.UsedByCompose = true
		}
		return
	}
	if df != nil && used {
		df.UsedByCompose = true
	}
	if df != nil {
		r.pragmas[abs] = df.Ignores
	}
	r.dockerfiles[abs] = df
	r.dfOrder = append(r.dfOrder, abs)
}

// lintDockerfiles runs last, once per file, so a Dockerfile both found in a
// folder walk and built by a compose service counts as used by compose.
func (r *runner) lintDockerfiles() {
	for _, path := range r.dfOrder {
		if df := r.dockerfiles[path]; df != nil {
			fs, ns := r.checker.CheckDockerfileNotes(df)
			r.res.Findings = append(r.res.Findings, fs...)
			r.res.NotChecked = append(r.res.NotChecked, ns...)
		}
	}
}

func (r *runner) addFile(path string) {
	if path != "" && !r.seen[path] {
		r.seen[path] = true
		r.res.Files = append(r.res.Files, path)
	}
}

func (r *runner) invalid(path, msg string) { r.invalidAt(Position{File: path}, msg) }

func (r *runner) invalidAt(pos Position, msg string) {
	r.invalidError(&ParseError{Pos: pos, Msg: msg})
}

// invalidError records a file that could not be loaded; its finding goes
// through the same filter as every rule's, once all pragmas are known.
func (r *runner) invalidError(pe *ParseError) {
	subject := pe.Service
	if subject == "" {
		subject = filepath.Base(pe.Pos.File)
	}
	r.invalids = append(r.invalids, invalidFinding{
		finding: Finding{Rule: InvalidFileRule, Severity: SeverityError, Pos: pe.Pos, Subject: subject, Message: pe.Msg, URL: DocsURL(InvalidFileRule)},
		ignore:  pe.ServiceIgnores,
	})
}

// invalidFinding is a finding the loaders made (invalid-file,
// unset-variable) waiting for the filter.
type invalidFinding struct {
	finding  Finding
	ignore   []string // the service's x-docker-heal ignore list
	severity Severity // instead of the rule's, when set
}

// filterInvalid passes the loaders' findings through Checker.Filter,
// the path every rule's findings take: --only/--disable and the config's
// on/off (the rule must be selected), x-docker-heal, the file's pragmas, the
// config's path and service ignores and severity overrides.
func (r *runner) filterInvalid() {
	rules := map[string]*Rule{}
	for i := range r.checker.Rules {
		rules[r.checker.Rules[i].ID] = &r.checker.Rules[i]
	}
	for _, inv := range r.invalids {
		f := inv.finding
		rule := rules[f.Rule]
		if rule == nil {
			continue // not selected
		}
		f.Severity = rule.Severity
		if inv.severity != SeverityNone {
			f.Severity = inv.severity
		}
		if ignoredByList(inv.ignore, f.Rule) {
			continue
		}
		r.res.Findings = append(r.res.Findings, r.checker.Filter([]Finding{f}, map[string]*Ignores{f.Pos.File: r.pragmasOf(f.Pos.File)})...)
	}
}

// pragmasOf returns the pragmas of a file: as its loader found them, or,
// for a file that did not load, read from its text (through the guard).
func (r *runner) pragmasOf(path string) *Ignores {
	if ig, ok := r.pragmas[path]; ok {
		return ig
	}
	var ig *Ignores
	if src, err := ReadSource(path); err == nil {
		ig = rawIgnores(path, src)
	}
	r.pragmas[path] = ig
	return ig
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// Relativize rewrites absolute file paths under dir as relative ones, the
// way a user named them.
func (res *Result) Relativize(dir string) {
	rel := func(p string) string {
		if p == "" || !filepath.IsAbs(p) {
			return p
		}
		if r, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
		return p
	}
	for i := range res.Findings {
		res.Findings[i].Pos.File = rel(res.Findings[i].Pos.File)
	}
	for i := range res.Files {
		res.Files[i] = rel(res.Files[i])
	}
	for i := range res.NotChecked {
		res.NotChecked[i].Pos.File = rel(res.NotChecked[i].Pos.File)
	}
}

// sortNotChecked orders not-run checks as findings are ordered.
func sortNotChecked(ns []NotChecked) {
	sort.SliceStable(ns, func(i, j int) bool {
		a, b := ns[i], ns[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		return a.Reason < b.Reason
	})
}

// explainImages asks the resolver why images it did not find are unknown;
// with none, nothing was looked up.
func explainImages(images ImageResolver) (why, hint string) {
	if e, ok := images.(ImageLookupExplainer); ok && images != nil {
		return e.ExplainUnknown()
	}
	if images == nil {
		return "image lookups are off (--image-config off)", "run with --image-config registry to read them from their registries"
	}
	return "", ""
}
