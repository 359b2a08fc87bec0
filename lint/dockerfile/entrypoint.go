package dockerfile

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/docker-heal/docker-heal/lint/source"
)

// Entrypoint scripts: a Dockerfile that COPYs entrypoint.sh from its build
// context and runs it has its text right here. Reading it (and the scripts
// it sources) with a real shell parser tells what the image ends up running:
// an init (tini, s6-overlay's /init, supervisord), a step down from root
// (gosu, su-exec, setpriv, ...), or the CMD itself (exec "$@").

// ScriptFacts is what an entrypoint or command script does, as far as the
// runtime rules are concerned, read from the build context.
type ScriptFacts struct {
	// Path is the script's path in the image; File its source in the build
	// context (or "<<heredoc>>" for an inline COPY).
	Path, File string
	// Init names the init or process manager the script execs (tini,
	// dumb-init, s6-overlay /init, supervisord, runsvdir, ...); "" if none.
	Init string
	// StepDown names the tool the script drops root with (gosu, su-exec,
	// setpriv, s6-setuidgid, chpst, su, runuser); "" if none.
	StepDown string
	// ExecsArgs is set when the script execs "$@" (exec gosu app "$@"): the
	// CMD (or the compose command) is then what runs.
	ExecsArgs bool
	// EndsInExecArgs is set when its last statement is exec "$@" itself:
	// given no arguments, the script ends there.
	EndsInExecArgs bool
	// Cron is set when the script runs cron, which needs root.
	Cron bool
	// Execs names the program the script's last exec runs, past the init
	// and step-down wrappers in front of it; "" when it execs none (or "$@").
	Execs string
	// ExecArgs are that program's arguments as written.
	ExecArgs []string
}

// ScriptStatus says what Follow found at the start of a command line.
type ScriptStatus int

const (
	// NotAScript: the program is a binary (or an init, or nothing).
	NotAScript ScriptStatus = iota
	// ScriptKnown: a script the build context copies in; its facts are known.
	ScriptKnown
	// ScriptUnknown: a script whose text is not in the build context (it
	// comes from the base image, or from another stage).
	ScriptUnknown
)

// Limits on the work one script costs: a linter must stay fast and finite
// on any input (scripts sourcing each other, huge generated files).
const (
	maxScriptBytes = 256 << 10
	maxScriptDepth = 6
	maxScripts     = 24
)

// copyOp is one COPY or ADD from the build context, as the image model
// replays it: where it puts what.
type copyOp struct {
	// context is the folder sources are relative to, when not the build
	// context (a compose bind mount's source is absolute on the host).
	context string
	dest    string   // absolute in the image (resolved against WORKDIR)
	sources []string // relative to the build context
	inline  []SourceContentFile
}

// SourceContentFile is a heredoc COPY's file (COPY <<EOF /entrypoint.sh).
type SourceContentFile struct {
	Name, Data string
}

// imageFiles is what the model knows of the files an image built from a
// Dockerfile gets from its build context.
type imageFiles struct {
	context string
	copies  []copyOp
	workdir string
	path    []string // PATH, to find a bare program name
}

// Follow reads the script argv starts with, when the build context copies
// it into the image: ["/entrypoint.sh", ...], ["docker-entrypoint.sh"] (on
// PATH), ["sh", "/run.sh"], ["bash", "./start.sh"]. It returns NotAScript
// for a binary, an init or an empty argv, and ScriptUnknown for a script
// whose text is not here.
func (c *ImageConfig) Follow(argv []string) (*ScriptFacts, ScriptStatus) {
	var files *imageFiles
	if c != nil {
		files = c.files
	}
	return follow(files, argv)
}

// Bind is a host file or folder bind-mounted into a container: Source an
// absolute host path, Target the absolute path in the container.
type Bind struct {
	Source, Target string
}

// FollowWithBinds is Follow for what a compose service or container runs:
// files it bind-mounts from the host (./conf/start.sh:/start.sh) count over
// the image's. Binds whose paths are not absolute are not followed.
func (c *ImageConfig) FollowWithBinds(argv []string, binds []Bind) (*ScriptFacts, ScriptStatus) {
	var files *imageFiles
	if c != nil && c.files != nil {
		cp := *c.files
		cp.copies = slices.Clone(cp.copies)
		files = &cp
	}
	for _, m := range binds {
		if !filepath.IsAbs(m.Source) || !strings.HasPrefix(m.Target, "/") {
			continue
		}
		if files == nil {
			files = &imageFiles{workdir: "/", path: strings.Split(defaultPath, ":")}
		}
		dir, base := filepath.Split(m.Source)
		files.copies = append(files.copies, copyOp{context: dir, dest: path.Clean(m.Target), sources: []string{base}})
	}
	return follow(files, argv)
}

func follow(files *imageFiles, argv []string) (*ScriptFacts, ScriptStatus) {
	if len(argv) == 0 {
		return nil, NotAScript
	}
	prog := argv[0]
	if shellName(path.Base(prog)) && len(argv) > 1 && !strings.HasPrefix(argv[1], "-") {
		prog = argv[1] // sh /entrypoint.sh
	} else if shellName(path.Base(prog)) {
		return nil, NotAScript // a shell itself, or sh -c "...": the shell rules read those
	}
	if files != nil {
		if src, file, at, ok := files.find(prog); ok {
			if !looksLikeShellScript(src, at) {
				return nil, NotAScript
			}
			f := &followState{files: files, seen: map[string]bool{}}
			facts := &ScriptFacts{Path: at, File: file}
			if !f.read(facts, at, src, 0) {
				return nil, ScriptUnknown // not shell the parser reads
			}
			return facts, ScriptKnown
		}
	}
	if looksLikeScriptPath(prog) || prog != argv[0] {
		return nil, ScriptUnknown // a script by name, or one a shell runs
	}
	return nil, NotAScript
}

// looksLikeScriptPath is the name-only guess for a program not in the build
// context: entrypoint.sh, docker-entrypoint, /start.sh, run.sh.
func looksLikeScriptPath(p string) bool {
	base := path.Base(p)
	return strings.HasSuffix(base, ".sh") || strings.HasSuffix(base, ".bash") || strings.Contains(base, "entrypoint")
}

func shellName(base string) bool {
	switch base {
	case "sh", "bash", "ash", "dash", "zsh", "ksh", "mksh":
		return true
	}
	return false
}

// looksLikeShellScript says whether a file copied in is a shell script: a
// shell shebang, or a .sh name without a shebang of another language.
func looksLikeShellScript(src []byte, name string) bool {
	if line, ok := bytes.CutPrefix(src, []byte("#!")); ok {
		first, _, _ := bytes.Cut(line, []byte("\n"))
		fields := strings.Fields(string(first))
		if len(fields) == 0 {
			return false
		}
		interp := path.Base(fields[0])
		if interp == "env" && len(fields) > 1 {
			interp = path.Base(fields[len(fields)-1])
			if strings.HasPrefix(fields[1], "-") && len(fields) > 2 {
				interp = path.Base(fields[2])
			}
		}
		return shellName(interp) || interp == "busybox"
	}
	return strings.HasSuffix(name, ".sh") || strings.HasSuffix(name, ".bash")
}

// find returns the text of the file the image has at p (absolute, relative
// to WORKDIR, or a bare name looked up on PATH), when a COPY or ADD from the
// build context put it there; the last COPY that writes it wins.
func (fs *imageFiles) find(p string) (src []byte, file, at string, ok bool) {
	var candidates []string
	switch {
	case strings.HasPrefix(p, "/"):
		candidates = []string{path.Clean(p)}
	case strings.Contains(p, "/"):
		candidates = []string{path.Join(fs.workdir, p)}
	default:
		for _, dir := range fs.path {
			candidates = append(candidates, path.Join(dir, p))
		}
	}
	for _, c := range candidates {
		if src, file, ok := fs.read(c); ok {
			return src, file, c, true
		}
	}
	return nil, "", "", false
}

// HasPath says whether the build context copies a file or folder to p (an
// absolute path in the image): /etc/services.d from COPY rootfs/ /.
func (c *ImageConfig) HasPath(p string) bool {
	if c == nil || c.files == nil {
		return false
	}
	fs := c.files
	p = path.Clean(p)
	for _, op := range fs.copies {
		for _, in := range op.inline {
			if t := path.Join(op.dest, in.Name); t == p || strings.HasPrefix(t, p+"/") || path.Clean(op.dest) == p {
				return true
			}
		}
		ctx := fs.context
		if op.context != "" {
			ctx = op.context
		}
		if ctx == "" {
			continue
		}
		dest := path.Clean(op.dest)
		for _, src := range op.sources {
			for _, local := range expandSource(ctx, src) {
				st, err := os.Stat(local)
				if err != nil {
					continue
				}
				switch {
				case !st.IsDir():
					if t := path.Join(dest, filepath.Base(local)); dest == p || t == p || strings.HasPrefix(dest, p+"/") {
						return true
					}
				case dest == p || strings.HasPrefix(dest, p+"/"):
					return true
				default:
					rel, ok := strings.CutPrefix(p, strings.TrimSuffix(dest, "/")+"/")
					if ok {
						if _, err := os.Stat(filepath.Join(local, filepath.FromSlash(rel))); err == nil {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

// IsOSBase says whether a reference names scratch or an official OS image,
// whose whole config is known (no ENTRYPOINT, a shell as CMD, nothing of
// s6-overlay's).
func IsOSBase(ref string) bool {
	return strings.EqualFold(ref, "scratch") || wellKnownBase(ref) != nil
}

// read returns the text of the file at the absolute image path p.
func (fs *imageFiles) read(p string) ([]byte, string, bool) {
	for i := len(fs.copies) - 1; i >= 0; i-- {
		op := fs.copies[i]
		for _, in := range op.inline {
			if p == op.dest || p == path.Join(op.dest, in.Name) {
				return []byte(in.Data), "<<" + in.Name, true
			}
		}
		ctx := fs.context
		if op.context != "" {
			ctx = op.context
		}
		if ctx == "" {
			continue
		}
		for _, src := range op.sources {
			for _, local := range expandSource(ctx, src) {
				if src, file, ok := fs.readCopied(op, local, p); ok {
					return src, file, true
				}
			}
		}
	}
	return nil, "", false
}

// expandSource returns the files or folders of the build context a COPY
// source names (a pattern may name several); never a path outside the context.
func expandSource(context, src string) []string {
	if strings.Contains(src, "://") || strings.HasPrefix(src, "git@") {
		return nil // ADD from a URL or a git repository
	}
	full := filepath.Join(context, filepath.FromSlash(src))
	var out []string
	matches := []string{full}
	if strings.ContainsAny(src, "*?[") {
		matches, _ = filepath.Glob(full)
	}
	for _, m := range matches {
		if rel, err := filepath.Rel(context, m); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			out = append(out, m)
		}
	}
	return out
}

// readCopied reads the file the image has at p when COPY local dest put it
// there: a file copied to dest (or into dest as a folder), or a file inside
// a folder whose contents were copied to dest (COPY rootfs/ /).
func (fs *imageFiles) readCopied(op copyOp, local, p string) ([]byte, string, bool) {
	st, err := os.Stat(local)
	if err != nil {
		return nil, "", false
	}
	var candidate string
	if st.IsDir() {
		dir := strings.TrimSuffix(op.dest, "/")
		rel, ok := strings.CutPrefix(p, dir+"/")
		if dir == "" {
			rel, ok = strings.CutPrefix(p, "/")
		}
		if !ok {
			return nil, "", false
		}
		candidate = filepath.Join(local, filepath.FromSlash(rel))
		if r, err := filepath.Rel(local, candidate); err != nil || strings.HasPrefix(r, "..") {
			return nil, "", false
		}
	} else {
		if p != strings.TrimSuffix(op.dest, "/") && p != path.Join(op.dest, filepath.Base(local)) {
			return nil, "", false
		}
		candidate = local
	}
	src, err := source.ReadSource(candidate)
	if err != nil || len(src) > maxScriptBytes {
		return nil, "", false
	}
	return src, candidate, true
}

// followState bounds one Follow: files read so far, by image path.
type followState struct {
	files *imageFiles
	seen  map[string]bool
}

// read parses one script and records what it does into facts, following
// `source FILE` and `. FILE` into other scripts the image got from the
// context. It reports false when the script cannot be parsed.
func (f *followState) read(facts *ScriptFacts, at string, src []byte, depth int) bool {
	if f.seen[at] || len(f.seen) >= maxScripts || depth > maxScriptDepth || len(src) > maxScriptBytes {
		return true // already read, or past the bounds: what was read stands
	}
	f.seen[at] = true
	file, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(bytes.NewReader(src), at)
	if err != nil {
		return false
	}
	if depth == 0 && len(file.Stmts) > 0 {
		if call, ok := file.Stmts[len(file.Stmts)-1].Cmd.(*syntax.CallExpr); ok && len(call.Args) == 2 &&
			wordText(call.Args[0]) == "exec" && (wordText(call.Args[1]) == `"$@"` || wordText(call.Args[1]) == "$@") {
			facts.EndsInExecArgs = true
		}
	}
	syntax.Walk(file, func(node syntax.Node) bool {
		call, ok := node.(*syntax.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		words := make([]string, len(call.Args))
		for i, w := range call.Args {
			words[i] = wordText(w)
		}
		f.command(facts, words, depth)
		return true
	})
	return true
}

// command records what one simple command does.
func (f *followState) command(facts *ScriptFacts, words []string, depth int) {
	switch words[0] {
	case "source", ".":
		if len(words) > 1 && !strings.Contains(words[1], "$") {
			if src, _, at, ok := f.files.find(words[1]); ok {
				f.read(facts, at, src, depth+1)
			}
		}
		return
	case "exec":
		f.exec(facts, skipExecFlags(words[1:]))
		return
	}
	// Not exec'd: a tool that drops root still tells the image starts as
	// root on purpose (gosu app migrate; su-exec app cron); cron needs root.
	for i, w := range words {
		base := path.Base(w)
		if i == 0 && cronName(base) {
			facts.Cron = true
		}
		if stepDownTools[base] && (i == 0 || words[0] == "set" || words[0] == "exec") && facts.StepDown == "" {
			facts.StepDown = base
		}
		if i == 0 && processManager(base) != "" && facts.Init == "" {
			// A process manager run in the foreground as the last thing
			// (supervisord -n) also starts as root on purpose.
			facts.Init = processManager(base)
		}
	}
}

// exec records what `exec argv...` replaces the shell with, looking through
// the wrappers in front of the program: an init, then a step down.
func (f *followState) exec(facts *ScriptFacts, argv []string) {
	for len(argv) > 0 {
		base := path.Base(argv[0])
		switch {
		case argv[0] == `"$@"` || argv[0] == "$@":
			facts.ExecsArgs = true
			return
		case initName(argv[0]) != "":
			if facts.Init == "" {
				facts.Init = initName(argv[0])
			}
			argv = skipInitArgs(argv[1:])
		case processManager(base) != "":
			if facts.Init == "" {
				facts.Init = processManager(base)
			}
			return
		case stepDownTools[base]:
			if facts.StepDown == "" {
				facts.StepDown = base
			}
			argv = skipStepDownArgs(base, argv[1:])
		case cronName(base):
			facts.Cron = true
			facts.Execs = argv[0]
			return
		default:
			if !strings.HasPrefix(argv[0], "$") {
				facts.Execs, facts.ExecArgs = argv[0], slices.Clone(argv[1:])
			}
			return
		}
	}
}

// shellCommands parses a shell script (a RUN line) and returns each simple
// command's words, in order; false when the parser cannot read it.
func shellCommands(script string) ([][]string, bool) {
	if len(script) > maxScriptBytes {
		return nil, false
	}
	file, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(script), "")
	if err != nil {
		return nil, false
	}
	var out [][]string
	syntax.Walk(file, func(node syntax.Node) bool {
		if call, ok := node.(*syntax.CallExpr); ok && len(call.Args) > 0 {
			words := make([]string, len(call.Args))
			for i, w := range call.Args {
				words[i] = wordText(w)
			}
			out = append(out, words)
		}
		return true
	})
	return out, true
}

// wordText renders a shell word: literal text as is, "$@" and $@ as "$@",
// and anything else expanded as its $-text (never resolved).
func wordText(w *syntax.Word) string {
	if lit := w.Lit(); lit != "" {
		return lit
	}
	var b strings.Builder
	for _, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			b.WriteString(p.Value)
		case *syntax.SglQuoted:
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			if len(p.Parts) == 1 {
				if pe, ok := p.Parts[0].(*syntax.ParamExp); ok && pe.Param != nil && pe.Param.Value == "@" && pe.Index == nil {
					return `"$@"`
				}
			}
			for _, inner := range p.Parts {
				switch q := inner.(type) {
				case *syntax.Lit:
					b.WriteString(q.Value)
				case *syntax.ParamExp:
					if q.Param != nil {
						b.WriteString("$" + q.Param.Value)
					}
				default:
					b.WriteString("$")
				}
			}
		case *syntax.ParamExp:
			if p.Param != nil && p.Param.Value == "@" && len(w.Parts) == 1 {
				return "$@"
			}
			if p.Param != nil {
				b.WriteString("$" + p.Param.Value)
			}
		default:
			b.WriteString("$")
		}
	}
	return b.String()
}

// skipExecFlags drops exec's own options (exec -a name, -c, -l).
func skipExecFlags(argv []string) []string {
	for len(argv) > 0 && strings.HasPrefix(argv[0], "-") {
		if argv[0] == "-a" && len(argv) > 1 {
			argv = argv[1:]
		}
		argv = argv[1:]
	}
	return argv
}

// initName names an init by its path or base name; "" for any other program.
func initName(p string) string {
	switch base := path.Base(p); {
	case p == "/init":
		return "s6-overlay /init"
	case base == "tini" || base == "tini-static" || base == "docker-init":
		return "tini"
	case base == "dumb-init" || base == "catatonit" || base == "my_init" || base == "s6-svscan":
		return base
	}
	return ""
}

// skipInitArgs drops an init's options and its "--", leaving the program it runs.
func skipInitArgs(argv []string) []string {
	for len(argv) > 0 && strings.HasPrefix(argv[0], "-") {
		done := argv[0] == "--"
		argv = argv[1:]
		if done {
			break
		}
	}
	return argv
}

// processManager names a supervisor that runs and reaps services itself
// (and starts them as root, dropping to their users); "" for any other program.
func processManager(base string) string {
	switch base {
	case "supervisord", "runsvdir", "runit", "s6-svscan", "s6-rc", "openrc-init", "systemd":
		return base
	}
	return ""
}

func cronName(base string) bool {
	return base == "cron" || base == "crond" || base == "anacron"
}

// stepDownTools drop root for another user before running a program.
var stepDownTools = map[string]bool{
	"gosu": true, "su-exec": true, "setpriv": true, "s6-setuidgid": true, "s6-applyuidgid": true,
	"chpst": true, "su": true, "runuser": true, "setuser": true, "sudo": true,
}

// skipStepDownArgs drops a step-down tool's user and options, leaving the
// program it runs when that is plain to see; nil otherwise.
func skipStepDownArgs(tool string, argv []string) []string {
	switch tool {
	case "gosu", "su-exec", "s6-setuidgid", "setuser":
		if len(argv) > 1 {
			return argv[1:]
		}
	case "chpst", "setpriv", "runuser", "sudo", "s6-applyuidgid":
		for i, a := range argv {
			if a == "--" {
				return argv[i+1:]
			}
		}
		for i, a := range argv {
			if !strings.HasPrefix(a, "-") && (i == 0 || !slices.Contains([]string{"-u", "-U", "-g", "-G"}, argv[i-1])) {
				return argv[i:]
			}
		}
	}
	return nil
}
