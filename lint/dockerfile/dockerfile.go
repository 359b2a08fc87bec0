package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/buildkit/util/system"

	"github.com/docker-heal/docker-heal/lint/source"
)

var dockerfileNameRe = regexp.MustCompile(`(?i)^(dockerfile(\..+)?|.+\.dockerfile|containerfile)$`)

// IsDockerfileName says whether a base name is a Dockerfile's: Dockerfile,
// Dockerfile.* and *.Dockerfile (and Containerfile), but not the YAML, JSON
// or Markdown files that share the stem (.github/workflows/dockerfile.yaml),
// nor BuildKit's per-Dockerfile ignore files (Dockerfile.dockerignore).
func IsDockerfileName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yml", ".yaml", ".json", ".md", ".dockerignore":
		return false
	}
	return dockerfileNameRe.MatchString(name)
}

// Dockerfile is a parsed Dockerfile: its stages in order, with the
// instructions rules read, and the ignore pragmas it carries.
type Dockerfile struct {
	Path string
	// Context is the build context folder its COPY sources are relative to:
	// the compose build's context, else the Dockerfile's own folder.
	Context string
	Stages  []*Stage
	// UsedByCompose is set when a compose service builds this file; rules
	// that matter less for a lone Dockerfile (healthcheck-missing) read it.
	UsedByCompose bool
	Ignores       *Ignores
	// MetaArgs are the ARGs declared before the first FROM, with defaults.
	MetaArgs map[string]string
	images   map[string]*ImageConfig // Image's cache, by target
	// bases are the configs of the images stages are built FROM, by
	// reference as written after ARG expansion; nil means not inspected.
	bases map[string]*ImageConfig
	// escape is the escape character (# escape= directive), for expansion.
	escape rune
	// metaArgs are the ARGs declared before the first FROM, as written.
	metaArgs []instructions.ArgCommand
	// src is the text as parsed, for fixes.
	src []byte
}

// Stage is one FROM ... section.
type Stage struct {
	Index int
	// Name is the AS name, or the index as a string when unnamed.
	Name    string
	Named   bool
	From    string // the base image or stage name, ARGs expanded
	FromRaw string // as written
	// FromArgs lists the global ARGs without a default that FROM uses: the
	// base image is chosen with --build-arg when the image is built.
	FromArgs []string
	FromPos  Position
	// Parent is the earlier stage this one is built FROM, or nil for an image.
	Parent       *Stage
	Instructions []Instruction
}

// Instruction is one Dockerfile instruction in a stage.
type Instruction struct {
	Name    string // lower-case keyword: cmd, entrypoint, healthcheck, run, user, copy, ...
	Pos     Position
	EndLine int
	// Args is the command line for cmd/entrypoint/run (the script as one
	// element in shell form), the user for USER, sources+dest for COPY/ADD.
	Args      []string
	ShellForm bool
	// Healthcheck is set for HEALTHCHECK.
	Healthcheck *Healthcheck
	Original    string
	// command is the parsed instruction, for the image model's replay.
	command instructions.Command
}

// Subject names a stage in findings: its AS name, or "stage N".
func (s *Stage) Subject() string {
	if s.Named {
		return s.Name
	}
	return "stage " + s.Name
}

// Last returns the last instruction named name in the stage, or nil.
func (s *Stage) Last(name string) *Instruction {
	for i := len(s.Instructions) - 1; i >= 0; i-- {
		if s.Instructions[i].Name == name {
			return &s.Instructions[i]
		}
	}
	return nil
}

// Final is the last stage: what `docker build` produces without --target.
func (df *Dockerfile) Final() *Stage {
	if len(df.Stages) == 0 {
		return nil
	}
	return df.Stages[len(df.Stages)-1]
}

// Target returns the stage a build --target names, or the final stage.
func (df *Dockerfile) Target(target string) *Stage {
	if target != "" {
		for _, s := range df.Stages {
			if strings.EqualFold(s.Name, target) {
				return s
			}
		}
	}
	return df.Final()
}

// Load reads and parses a Dockerfile. A file that cannot be parsed
// returns a *ParseError naming its line.
func Load(path string) (*Dockerfile, error) {
	src, err := source.ReadSource(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse parses Dockerfile source; path is used in positions.
func Parse(path string, src []byte) (df *Dockerfile, err error) {
	defer func() {
		// The parser is robust, but a linter must never crash on input.
		if r := recover(); r != nil {
			df, err = nil, &ParseError{Pos: Position{File: path}, Msg: fmt.Sprintf("the Dockerfile parser failed: %v", r)}
		}
	}()
	if err := checkDockerfileSize(path, src); err != nil {
		return nil, err
	}
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, dockerfileError(path, err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, dockerfileError(path, err)
	}
	if _, err := expansionBudget(path, metaArgs, stages); err != nil {
		return nil, err
	}
	if len(stages) == 0 {
		line := 1
		if len(res.AST.Children) > 0 {
			line = res.AST.Children[0].StartLine
		}
		return nil, &ParseError{Pos: Position{File: path, Line: line}, Msg: "no FROM instruction: a Dockerfile must start a stage with FROM"}
	}
	df = &Dockerfile{Path: path, Context: filepath.Dir(path), escape: res.EscapeToken, metaArgs: metaArgs, src: src}
	for i, st := range stages {
		s := &Stage{Index: i, Name: strconv.Itoa(i), FromRaw: st.BaseName}
		if st.Name != "" {
			s.Name, s.Named = st.Name, true
		}
		if len(st.Location) > 0 {
			s.FromPos = Position{File: path, Line: st.Location[0].Start.Line, Col: 1}
		}
		for _, c := range st.Commands {
			s.Instructions = append(s.Instructions, toInstruction(path, c))
		}
		df.Stages = append(df.Stages, s)
	}
	df.expand(nil)
	var spans [][2]int
	for _, n := range res.AST.Children {
		spans = append(spans, [2]int{n.StartLine, n.EndLine})
	}
	df.Ignores = source.BuildIgnores(source.ScanPragmas(src), spans)
	return df, nil
}

// expand sets MetaArgs from the global ARGs and the build args given (as
// --build-arg or compose's build.args: they override a default), then each
// stage's From, FromArgs and Parent. Global ARG defaults are expanded in
// order, each with those before it, as BuildKit does.
func (df *Dockerfile) expand(buildArgs map[string]string) {
	df.MetaArgs = map[string]string{}
	lex := shell.NewLex(df.escape)
	noDefault := map[string]bool{}
	for _, a := range df.metaArgs {
		for _, kv := range a.Args {
			if v, ok := buildArgs[kv.Key]; ok {
				delete(noDefault, kv.Key)
				df.MetaArgs[kv.Key] = v
				continue
			}
			if kv.Value != nil {
				delete(noDefault, kv.Key)
				v := *kv.Value
				// One too large to expand is left as written.
				if expandable(v, df.metaEnv()) {
					if expanded, _, err := lex.ProcessWord(v, shell.EnvsFromSlice(df.metaEnv())); err == nil {
						v = expanded
					}
				}
				df.MetaArgs[kv.Key] = v
			} else if _, ok := df.MetaArgs[kv.Key]; !ok {
				df.MetaArgs[kv.Key] = ""
				noDefault[kv.Key] = true
			}
		}
	}
	env := shell.EnvsFromSlice(df.metaEnv())
	byName := map[string]*Stage{}
	for _, s := range df.Stages {
		s.From, s.FromArgs, s.Parent = s.FromRaw, nil, nil
		// One too large to expand is left as written.
		if expandable(s.FromRaw, df.metaEnv()) {
			if res, err := lex.ProcessWordWithMatches(s.FromRaw, env); err == nil {
				s.From = res.Result
				for name := range res.Matched {
					if noDefault[name] {
						s.FromArgs = append(s.FromArgs, name)
					}
				}
				slices.Sort(s.FromArgs)
			}
		}
		if parent, ok := byName[strings.ToLower(s.From)]; ok {
			s.Parent = parent
		}
		byName[strings.ToLower(s.Name)] = s
	}
}

// WithBuildArgs returns the Dockerfile as built with these build args
// (compose's build.args): a copy whose global ARGs, and the FROM lines that
// use them, take their values; df itself when none of them is a global ARG.
func (df *Dockerfile) WithBuildArgs(args map[string]string) *Dockerfile {
	used := false
	for _, a := range df.metaArgs {
		for _, kv := range a.Args {
			if _, ok := args[kv.Key]; ok {
				used = true
			}
		}
	}
	if !used {
		return df
	}
	out := *df
	out.Stages = make([]*Stage, len(df.Stages))
	for i, s := range df.Stages {
		c := *s
		out.Stages[i] = &c
	}
	out.images, out.bases = nil, nil
	out.expand(args)
	return &out
}

func (df *Dockerfile) metaEnv() []string {
	var env []string
	for k, v := range df.MetaArgs {
		env = append(env, k+"="+v)
	}
	return env
}

func dockerfileError(path string, err error) error {
	pos := Position{File: path}
	if loc, ok := locationOf(err); ok {
		pos.Line = loc
	}
	msg := err.Error()
	// The parser prefixes some messages with "dockerfile parse error on line N:"; the position says it.
	if i := strings.Index(msg, ": "); i > 0 && strings.HasPrefix(msg, "dockerfile parse error") {
		msg = msg[i+2:]
	}
	if strings.Contains(msg, "no build stage in current context") {
		msg = "instruction before the first FROM: a Dockerfile must start a stage with FROM (only ARG can come before it)"
	}
	return &ParseError{Pos: pos, Msg: msg}
}

func locationOf(err error) (int, bool) {
	var loc *parser.LocationError
	if errors.As(err, &loc) && len(loc.Locations) > 0 && len(loc.Locations[0]) > 0 {
		return loc.Locations[0][0].Start.Line, true
	}
	if m := lineRe.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, true
	}
	return 0, false
}

var lineRe = regexp.MustCompile(`line (\d+)`)

func toInstruction(path string, c instructions.Command) Instruction {
	in := Instruction{Name: strings.ToLower(c.Name()), Original: fmt.Sprint(c), command: c}
	if loc := c.Location(); len(loc) > 0 {
		in.Pos = Position{File: path, Line: loc[0].Start.Line, Col: 1}
		in.EndLine = loc[len(loc)-1].End.Line
	}
	switch c := c.(type) {
	case *instructions.CmdCommand:
		in.Args, in.ShellForm = c.CmdLine, c.PrependShell
	case *instructions.EntrypointCommand:
		in.Args, in.ShellForm = c.CmdLine, c.PrependShell
	case *instructions.RunCommand:
		in.Args, in.ShellForm = c.CmdLine, c.PrependShell
	case *instructions.UserCommand:
		in.Args = []string{c.User}
	case *instructions.CopyCommand:
		in.Args = append(append([]string{}, c.SourcePaths...), c.DestPath)
	case *instructions.AddCommand:
		in.Args = append(append([]string{}, c.SourcePaths...), c.DestPath)
	case *instructions.HealthCheckCommand:
		hc := &Healthcheck{Pos: in.Pos}
		if h := c.Health; h != nil {
			hc.Test = h.Test
			hc.Interval, hc.Timeout = h.Interval, h.Timeout
			hc.StartPeriod, hc.StartInterval = h.StartPeriod, h.StartInterval
			hc.Retries, hc.RetriesSet = h.Retries, h.Retries != 0
			hc.Disabled = len(h.Test) > 0 && strings.EqualFold(h.Test[0], "NONE")
		}
		in.Healthcheck = hc
	}
	return in
}

// chain returns the stages from the root (built FROM an image) to s.
func (s *Stage) chain() []*Stage {
	var out []*Stage
	for st := s; st != nil && len(out) <= 64; st = st.Parent {
		out = append(out, st)
	}
	slices.Reverse(out)
	return out
}

// BaseRefs returns the images the stages are built FROM (not other stages,
// not scratch), ARGs expanded, in order and without repeats: what an image
// lookup resolves so an inherited config counts.
func (df *Dockerfile) BaseRefs() []string {
	var out []string
	for _, s := range df.Stages {
		if s.Parent == nil && len(s.FromArgs) == 0 && !strings.EqualFold(s.From, "scratch") && s.From != "" && !slices.Contains(out, s.From) {
			out = append(out, s.From)
		}
	}
	return out
}

// SetBaseImages gives the model the configs of the images the stages are
// built FROM (by reference as BaseRefs names them; a missing or nil entry is
// an image that was not inspected). Images computed earlier are recomputed.
func (df *Dockerfile) SetBaseImages(bases map[string]*ImageConfig) {
	df.bases = bases
	df.images = nil
}

// BasesSet says whether SetBaseImages gave the model its base images (a
// non-nil map, even if empty).
func (df *Dockerfile) BasesSet() bool { return df.bases != nil }

// Image computes the config the target stage's image has, replaying the
// FROM chain as BuildKit's dockerfile2llb does (see convert.go's dispatch*
// functions): the base image's config first, then each instruction in order.
// It also records where each value was set and the tools RUN and COPY install.
func (df *Dockerfile) Image(target string) *ImageConfig {
	// Several rules ask for the same image: compute it once per target.
	if img, ok := df.images[target]; ok {
		return img
	}
	img := df.computeImage(target)
	if df.images == nil {
		df.images = map[string]*ImageConfig{}
	}
	df.images[target] = img
	return img
}

func (df *Dockerfile) computeImage(target string) *ImageConfig {
	st := df.Target(target)
	if st == nil {
		return nil
	}
	chain := st.chain()
	root := chain[0]
	img := df.baseImage(root)
	img.Source = df.Path
	img.FromPos = root.FromPos
	img.Base = ClassifyBase(root.From)
	img.BaseRef = root.From
	img.Installed = map[string]bool{}
	lex := shell.NewLex(df.escape)
	env := slices.Clone(img.Env)
	files := &imageFiles{context: df.Context}
	for _, s := range chain {
		replayStage(img, s, df.MetaArgs, lex, &env, files)
	}
	img.Healthcheck = withRunShell(img.Healthcheck, img.Shell)
	files.workdir = img.WorkingDir
	if files.workdir == "" {
		files.workdir = "/"
	}
	files.path = strings.Split(defaultPath, ":")
	for _, kv := range img.Env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			files.path = strings.Split(v, ":")
		}
	}
	img.files = files
	return img
}

// withRunShell returns hc set to run a CMD-SHELL test under shell, as the
// engine does with the image's SHELL (moby daemon/health.go).
func withRunShell(hc *Healthcheck, shell []string) *Healthcheck {
	if hc == nil || !hc.Shell() || len(shell) == 0 {
		return hc
	}
	out := *hc
	out.RunShell = slices.Clone(shell)
	return &out
}

// baseImage is the config a stage built FROM ref starts with: scratch's is
// empty; an inspected image's is a copy of it; any other is unknown.
// A FROM that uses a build arg without a default names an image only the
// build command knows: it is named as written, with the args that set it.
func (df *Dockerfile) baseImage(root *Stage) *ImageConfig {
	ref := root.From
	if len(root.FromArgs) > 0 {
		return &ImageConfig{Unknown: AllFields, UnknownWhy: UnknownBuildArg, NotInspected: fmt.Sprintf("%s (set with --build-arg %s, which has no default)", root.FromRaw, strings.Join(root.FromArgs, ", --build-arg "))}
	}
	if ref == "" { // an ARG whose default is empty: the build must set it
		return &ImageConfig{Unknown: AllFields, UnknownWhy: UnknownBuildArg, NotInspected: root.FromRaw + " (empty unless set with --build-arg)"}
	}
	if strings.EqualFold(ref, "scratch") {
		// BuildKit's emptyImage: working dir / and the default PATH.
		return &ImageConfig{OS: "linux", WorkingDir: "/", Env: []string{"PATH=" + defaultPath}}
	}
	if base := df.bases[ref]; base != nil {
		img := *base
		img.Entrypoint = slices.Clone(base.Entrypoint)
		img.Cmd = slices.Clone(base.Cmd)
		img.Shell = slices.Clone(base.Shell)
		img.Env = slices.Clone(base.Env)
		img.Labels = maps.Clone(base.Labels)
		img.EntrypointShell, img.CmdShell = false, false
		img.EntrypointPos, img.CmdPos, img.UserPos, img.ShellPos = Position{}, Position{}, Position{}, Position{}
		img.Inherited = ref
		return &img
	}
	if known := wellKnownBase(ref); known != nil {
		known.Inherited = ref
		return known
	}
	if official := OfficialImageConfig(ref); official != nil {
		return official // no HEALTHCHECK, by the official images' policy; the rest unknown
	}
	return &ImageConfig{Unknown: AllFields, UnknownWhy: UnknownImage, NotInspected: ref}
}

// defaultPath is the PATH BuildKit gives an image built FROM scratch on Linux.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// replayStage applies one stage's instructions to img, as BuildKit's
// dispatch does. CMD/ENTRYPOINT tracking is per stage: an ENTRYPOINT resets
// the CMD inherited from the base (image or stage) but keeps a CMD written
// earlier in the same stage. env is the build state's environment words are
// expanded with: the base image's ENV, then every ARG and ENV in order (the
// later wins), carried from a stage to the stages built FROM it.
func replayStage(img *ImageConfig, s *Stage, metaArgs map[string]string, lex *shell.Lex, env *[]string, files *imageFiles) {
	cmdSet := false
	expand := func(word string) string {
		if !expandable(word, *env) {
			return word // Parse refused such files; build args may still be large
		}
		if out, _, err := lex.ProcessWord(word, shell.EnvsFromSlice(*env)); err == nil {
			return out
		}
		return word
	}
	for i := range s.Instructions {
		in := &s.Instructions[i]
		switch c := in.command.(type) {
		case *instructions.ArgCommand:
			for _, kv := range c.Args {
				switch {
				case kv.Value != nil:
					*env = setEnv(*env, kv.Key, expand(*kv.Value))
				default:
					// An ARG without a default takes the global one, if any.
					if v, ok := metaArgs[kv.Key]; ok {
						*env = setEnv(*env, kv.Key, v)
					}
				}
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				v := expand(kv.Value)
				*env = setEnv(*env, kv.Key, v)
				img.Env = setEnv(img.Env, kv.Key, v)
			}
		case *instructions.LabelCommand:
			if img.Labels == nil {
				img.Labels = map[string]string{}
			}
			for _, kv := range c.Labels {
				img.Labels[expand(kv.Key)] = expand(kv.Value)
			}
		case *instructions.ShellCommand:
			img.Shell, img.ShellPos = slices.Clone(c.Shell), in.Pos
			img.Unknown &^= FieldShell
		case *instructions.CmdCommand:
			img.Cmd, img.CmdShell, img.CmdPos = withShell(img, c.CmdLine, c.PrependShell), c.PrependShell, in.Pos
			img.Unknown &^= FieldCmd
			cmdSet = true
		case *instructions.EntrypointCommand:
			img.Entrypoint, img.EntrypointShell, img.EntrypointPos = withShell(img, c.CmdLine, c.PrependShell), c.PrependShell, in.Pos
			img.Unknown &^= FieldEntrypoint
			if !cmdSet {
				img.Cmd, img.CmdShell, img.CmdPos = nil, false, Position{}
				img.Unknown &^= FieldCmd
			}
		case *instructions.HealthCheckCommand:
			img.Healthcheck = in.Healthcheck
			img.Unknown &^= FieldHealthcheck
		case *instructions.UserCommand:
			img.User, img.UserPos = expand(c.User), in.Pos
			img.Unknown &^= FieldUser
		case *instructions.WorkdirCommand:
			// BuildKit's own normalisation (joined, cleaned, a trailing / kept).
			dir := expand(c.Path)
			if wd, err := system.NormalizeWorkdir(img.WorkingDir, dir, img.OS); err == nil {
				dir = wd
			}
			if img.Knows(FieldWorkingDir) || system.IsAbs(c.Path, img.OS) {
				img.Unknown &^= FieldWorkingDir // a relative one under an unknown base stays unknown
			}
			img.WorkingDir = dir
		case *instructions.RunCommand:
			run := readRun(strings.Join(in.Args, " "))
			for _, tool := range run.removed {
				delete(img.Installed, tool)
			}
			for _, tool := range run.installed {
				img.Installed[tool] = true
			}
			img.UserAdded = img.UserAdded || run.userAdded
			if img.StepDown == "" {
				img.StepDown = run.stepDown
			}
		case *instructions.CopyCommand, *instructions.AddCommand:
			files.record(c, img.WorkingDir, expand)
			for _, src := range in.Args {
				base := filepath.Base(src)
				if (base == "gosu" || base == "su-exec") && img.StepDown == "" {
					img.StepDown = base
				}
				if slices.Contains(knownTools, base) {
					img.Installed[base] = true
				}
			}
		}
	}
}

// record notes where a COPY or ADD from the build context puts its sources
// (not COPY --from, whose files come from another stage or image).
func (fs *imageFiles) record(c instructions.Command, workdir string, expand func(string) string) {
	var sd instructions.SourcesAndDest
	switch c := c.(type) {
	case *instructions.CopyCommand:
		if c.From != "" {
			return
		}
		sd = c.SourcesAndDest
	case *instructions.AddCommand:
		sd = c.SourcesAndDest
	default:
		return
	}
	dest := expand(sd.DestPath)
	if !strings.HasPrefix(dest, "/") {
		if workdir == "" {
			workdir = "/"
		}
		dest = path.Join(workdir, dest) + map[bool]string{true: "/", false: ""}[strings.HasSuffix(dest, "/") || dest == "."]
	}
	op := copyOp{dest: dest}
	for _, src := range sd.SourcePaths {
		op.sources = append(op.sources, expand(src))
	}
	for _, sc := range sd.SourceContents {
		op.inline = append(op.inline, SourceContentFile{Name: sc.Path, Data: sc.Data})
	}
	fs.copies = append(fs.copies, op)
}

// withShell is BuildKit's: a shell-form command line is joined and handed to
// the image's SHELL, or the OS's default shell.
func withShell(img *ImageConfig, args []string, shellForm bool) []string {
	if !shellForm {
		return slices.Clone(args)
	}
	sh := img.Shell
	if len(sh) == 0 {
		sh = DefaultShell(img.OS)
	}
	return append(slices.Clone(sh), strings.Join(args, " "))
}

// DefaultShell is the shell a shell-form instruction runs under when no
// SHELL is set: BuildKit's and the engine's default for the OS.
func DefaultShell(os string) []string {
	if os == "windows" {
		return []string{"cmd", "/S", "/C"}
	}
	return []string{"/bin/sh", "-c"}
}

func setEnv(env []string, key, value string) []string {
	for i, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			env[i] = key + "=" + value
			return env
		}
	}
	return append(env, key+"="+value)
}

// ClassifyBase says what kind of root image a reference names.
func ClassifyBase(ref string) Base {
	r := strings.ToLower(ref)
	switch {
	case r == "scratch":
		return BaseScratch
	case strings.Contains(r, "distroless") || strings.HasPrefix(r, "cgr.dev/chainguard/static"):
		return BaseDistroless
	case strings.Contains(r, "alpine"):
		return BaseAlpine
	case r == "":
		return BaseUnknown
	}
	return BaseOther
}

var knownTools = []string{"curl", "wget", "tini", "dumb-init", "catatonit", "s6-overlay", "nc", "bash"}

// runFacts is what one RUN tells the image model, read with the shell
// parser the entrypoint scripts are read with (one tokenizer for both).
type runFacts struct {
	// installed are the known tools the RUN installs with a package manager,
	// runs, or downloads into place; removed those it uninstalls (apk del,
	// apt-get purge), with the packages of an apk --virtual group it deletes.
	installed, removed []string
	// userAdded is set when it creates a user (useradd, adduser).
	userAdded bool
	// stepDown names a tool to drop from root that it installs or runs
	// (gosu, su-exec, setpriv), as official images do for their entrypoints.
	stepDown string
}

// readRun reads a RUN script. A script the parser cannot read counts every
// known tool it names as installed: a probe is then never wrongly reported
// as unavailable.
func readRun(script string) runFacts {
	var f runFacts
	for _, tool := range knownTools {
		// Downloaded into place from a release URL (tini, s6-overlay, dumb-init).
		if (tool == "tini" || tool == "s6-overlay" || tool == "dumb-init") && strings.Contains(script, tool) {
			f.installed = append(f.installed, tool)
		}
	}
	cmds, ok := shellCommands(script)
	if !ok {
		for _, tool := range knownTools {
			if strings.Contains(script, tool) {
				f.installed = append(f.installed, tool)
			}
		}
		return f
	}
	groups := map[string][]string{} // apk --virtual NAME: its packages
	state := map[string]bool{}      // in order: true installed, false removed
	for _, words := range cmds {
		for _, w := range words {
			if base := path.Base(w); stepDownTools[base] && base != "su" && base != "sudo" && base != "runuser" && base != "chpst" && f.stepDown == "" {
				f.stepDown = base
			}
		}
		prog := path.Base(words[0])
		if prog == "useradd" || prog == "adduser" || (prog == "busybox" && len(words) > 1 && words[1] == "adduser") {
			f.userAdded = true
		}
		if slices.Contains(knownTools, prog) {
			state[prog] = true // it ran, so it is there
		}
		op, pkgs, group := packageOp(words)
		switch op {
		case "install":
			if group != "" {
				groups[group] = pkgs
			}
			for _, p := range pkgs {
				if slices.Contains(knownTools, p) {
					state[p] = true
				}
			}
		case "remove":
			for _, p := range pkgs {
				members, isGroup := groups[p]
				if !isGroup {
					state[p] = false
				}
				for _, q := range members {
					state[q] = false
				}
			}
		}
	}
	for _, tool := range f.installed {
		if _, ok := state[tool]; !ok {
			state[tool] = true // downloaded into place
		}
	}
	f.installed = nil
	for _, tool := range slices.Sorted(maps.Keys(state)) {
		if state[tool] {
			f.installed = append(f.installed, tool)
		} else {
			f.removed = append(f.removed, tool)
		}
	}
	return f
}

// packageOp reads a package manager's command line: "install" or "remove",
// the package names (versions and repositories stripped), and the apk
// --virtual group they are installed as.
func packageOp(words []string) (op string, pkgs []string, group string) {
	if len(words) < 2 {
		return "", nil, ""
	}
	manager, sub := path.Base(words[0]), words[1]
	rest := words[2:]
	switch {
	case manager == "apk" && sub == "add":
		op = "install"
	case manager == "apk" && sub == "del":
		op = "remove"
	case (manager == "apt-get" || manager == "apt" || manager == "yum" || manager == "dnf" || manager == "microdnf") && sub == "install",
		manager == "zypper" && (sub == "in" || sub == "install"):
		op = "install"
	case (manager == "apt-get" || manager == "apt" || manager == "yum" || manager == "dnf") && (sub == "purge" || sub == "remove" || sub == "autoremove"):
		op = "remove"
	case manager == "pacman" && strings.HasPrefix(sub, "-S"):
		op, rest = "install", words[2:]
	default:
		return "", nil, ""
	}
	for i := 0; i < len(rest); i++ {
		w := rest[i]
		if w == "--virtual" || w == "-t" {
			if i+1 < len(rest) {
				group = rest[i+1]
				i++
			}
			continue
		}
		if strings.HasPrefix(w, "-") || strings.Contains(w, "$") {
			continue
		}
		name := w
		if j := strings.IndexAny(name, "=<>~@"); j > 0 {
			name = name[:j]
		}
		pkgs = append(pkgs, path.Base(name))
	}
	return op, pkgs, group
}

// OfficialImageConfig is what is known of a Docker Official Image (postgres,
// redis, nginx, ... : the library namespace) without looking it up: it has
// no HEALTHCHECK, as the official images' policy is to ship none
// (github.com/docker-library/faq#healthcheck); every other field is
// unknown. nil for any other reference. An OS image's whole config is known
// (wellKnownBase).
func OfficialImageConfig(ref string) *ImageConfig {
	repo := libraryRepo(ref)
	if repo == "" {
		return nil
	}
	if base := wellKnownBase(ref); base != nil {
		base.Source = ref
		return base
	}
	return &ImageConfig{Source: ref, Unknown: AllFields &^ FieldHealthcheck, UnknownWhy: UnknownImage, NotInspected: ref}
}

// libraryRepo returns the repository of a reference in Docker Hub's library
// namespace (postgres for postgres:16, docker.io/library/postgres@sha256:...),
// "" for any other or for a reference with a variable in it.
func libraryRepo(ref string) string {
	r := strings.ToLower(strings.TrimSpace(ref))
	if r == "" || strings.ContainsAny(r, "${}") {
		return ""
	}
	if i := strings.Index(r, "@"); i >= 0 {
		r = r[:i]
	}
	for _, prefix := range []string{"docker.io/library/", "index.docker.io/library/", "registry-1.docker.io/library/", "library/", "docker.io/", "index.docker.io/"} {
		if strings.HasPrefix(r, prefix) {
			r = strings.TrimPrefix(r, prefix)
			break
		}
	}
	if i := strings.LastIndex(r, ":"); i >= 0 {
		r = r[:i]
	}
	if r == "" || strings.Contains(r, "/") || strings.ContainsAny(r, ".:") {
		return ""
	}
	return r
}

// wellKnownBase is the config of an operating system's official image
// (alpine, debian, ubuntu, busybox, ...), known by name: they set no
// ENTRYPOINT, no USER (root), no HEALTHCHECK, and a shell as CMD, in every
// tag. nil for any other image. A Dockerfile built FROM one thus knows what
// it inherits without an image lookup.
func wellKnownBase(ref string) *ImageConfig {
	repo := strings.ToLower(ref)
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	for _, prefix := range []string{"docker.io/library/", "index.docker.io/library/", "library/", "docker.io/"} {
		if strings.HasPrefix(repo, prefix) {
			repo = strings.TrimPrefix(repo, prefix)
			break
		}
	}
	if i := strings.LastIndex(repo, ":"); i >= 0 && !strings.Contains(repo[i:], "/") {
		repo = repo[:i]
	}
	cmd, ok := wellKnownBases[repo]
	if !ok {
		return nil
	}
	return &ImageConfig{OS: "linux", Cmd: []string{cmd}, Env: []string{"PATH=" + defaultPath}, WorkingDir: "/"}
}

// wellKnownBases are the official OS images and their CMD (docker-library
// and the distributions' own repositories).
var wellKnownBases = map[string]string{
	"alpine": "/bin/sh", "busybox": "sh", "debian": "bash", "ubuntu": "/bin/bash",
	"fedora": "/bin/bash", "centos": "/bin/bash", "rockylinux": "/bin/bash",
	"almalinux": "/bin/bash", "amazonlinux": "/bin/bash", "oraclelinux": "/bin/bash",
	"archlinux": "/usr/bin/bash", "opensuse/leap": "/bin/bash", "opensuse/tumbleweed": "/bin/bash",
}

// CommentsAbove returns the comment lines written right above line (1-based),
// nearest last, without their #: where hadolint's and other tools' pragmas
// state a decision (# hadolint ignore=DL3002).
func (df *Dockerfile) CommentsAbove(line int) []string {
	lines := strings.Split(string(df.src), "\n")
	var out []string
	for i := line - 2; i >= 0 && i < len(lines); i-- {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "#") {
			break
		}
		out = append([]string{strings.TrimSpace(strings.TrimPrefix(l, "#"))}, out...)
	}
	return out
}
