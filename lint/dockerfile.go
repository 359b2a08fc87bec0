package lint

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Dockerfile is a parsed Dockerfile: its stages in order, with the
// instructions rules read, and the ignore pragmas it carries.
type Dockerfile struct {
	Path   string
	Stages []*Stage
	// UsedByCompose is set when a compose service builds this file; rules
	// that matter less for a lone Dockerfile (healthcheck-missing) read it.
	UsedByCompose bool
	Ignores       *Ignores
	// MetaArgs are the ARGs declared before the first FROM, with defaults.
	MetaArgs map[string]string
	images   map[string]*ImageConfig // Image's cache, by target
}

// Stage is one FROM ... section.
type Stage struct {
	Index int
	// Name is the AS name, or the index as a string when unnamed.
	Name    string
	Named   bool
	From    string // the base image or stage name, ARGs expanded
	FromRaw string // as written
	FromPos Position
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

// ParseError is a Dockerfile that cannot be parsed, at its position.
type ParseError struct {
	Pos Position
	Msg string
	// Refused is set when the file guard would not read or parse the file
	// (not a regular file, too big, binary, nested too deep).
	Refused bool
	// Service is the compose service the error is in, when known, and
	// ServiceIgnores its x-docker-heal ignore list.
	Service        string
	ServiceIgnores []string
}

func (e *ParseError) Error() string { return e.Pos.String() + ": " + e.Msg }

// LoadDockerfile reads and parses a Dockerfile. A file that cannot be parsed
// returns a *ParseError naming its line.
func LoadDockerfile(path string) (*Dockerfile, error) {
	src, err := ReadSource(path)
	if err != nil {
		return nil, err
	}
	return ParseDockerfile(path, src)
}

// ParseDockerfile parses Dockerfile source; path is used in positions.
func ParseDockerfile(path string, src []byte) (df *Dockerfile, err error) {
	defer func() {
		// The parser is robust, but a linter must never crash on input.
		if r := recover(); r != nil {
			df, err = nil, &ParseError{Pos: Position{File: path}, Msg: fmt.Sprintf("the Dockerfile parser failed: %v", r)}
		}
	}()
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, dockerfileError(path, err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, dockerfileError(path, err)
	}
	if len(stages) == 0 {
		line := 1
		if len(res.AST.Children) > 0 {
			line = res.AST.Children[0].StartLine
		}
		return nil, &ParseError{Pos: Position{File: path, Line: line}, Msg: "no FROM instruction: a Dockerfile must start a stage with FROM"}
	}
	df = &Dockerfile{Path: path, MetaArgs: map[string]string{}}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				df.MetaArgs[kv.Key] = *kv.Value
			} else if _, ok := df.MetaArgs[kv.Key]; !ok {
				df.MetaArgs[kv.Key] = ""
			}
		}
	}
	lex := shell.NewLex(res.EscapeToken)
	env := shell.EnvsFromSlice(df.metaEnv())
	byName := map[string]*Stage{}
	for i, st := range stages {
		s := &Stage{Index: i, Name: strconv.Itoa(i), FromRaw: st.BaseName}
		if st.Name != "" {
			s.Name, s.Named = st.Name, true
		}
		if len(st.Location) > 0 {
			s.FromPos = Position{File: path, Line: st.Location[0].Start.Line, Col: 1}
		}
		s.From = st.BaseName
		if expanded, _, err := lex.ProcessWord(st.BaseName, env); err == nil {
			s.From = expanded
		}
		if parent, ok := byName[strings.ToLower(s.From)]; ok {
			s.Parent = parent
		}
		for _, c := range st.Commands {
			s.Instructions = append(s.Instructions, toInstruction(path, c))
		}
		df.Stages = append(df.Stages, s)
		byName[strings.ToLower(s.Name)] = s
	}
	var spans [][2]int
	for _, n := range res.AST.Children {
		spans = append(spans, [2]int{n.StartLine, n.EndLine})
	}
	df.Ignores = BuildIgnores(ScanPragmas(src), spans)
	return df, nil
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
		msg = "instruction before the first FROM: a Dockerfile must start a stage with FROM (only ARG may come before it)"
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
	in := Instruction{Name: strings.ToLower(c.Name()), Original: fmt.Sprint(c)}
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

// chain returns the stage and the stages it is built FROM, nearest first.
func (s *Stage) chain() []*Stage {
	var out []*Stage
	for st := s; st != nil && len(out) <= 64; st = st.Parent {
		out = append(out, st)
	}
	return out
}

// Image computes the config the target stage's image has: the last CMD,
// ENTRYPOINT, HEALTHCHECK and USER along its FROM chain, its base, and the
// tools its RUN and COPY instructions install.
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
	img := &ImageConfig{Source: df.Path, Installed: map[string]bool{}}
	var haveEP, haveCmd, haveHC, haveUser bool
	chain := st.chain()
	for _, s := range chain {
		for i := len(s.Instructions) - 1; i >= 0; i-- {
			in := &s.Instructions[i]
			switch in.Name {
			case "entrypoint":
				if !haveEP {
					haveEP = true
					img.Entrypoint, img.EntrypointShell, img.EntrypointPos = shellArgv(in), in.ShellForm, in.Pos
					// An ENTRYPOINT resets the CMD inherited from earlier.
					if !haveCmd {
						haveCmd = true
					}
				}
			case "cmd":
				if !haveCmd {
					haveCmd = true
					img.Cmd, img.CmdShell, img.CmdPos = shellArgv(in), in.ShellForm, in.Pos
				}
			case "healthcheck":
				if !haveHC {
					haveHC = true
					img.Healthcheck = in.Healthcheck
				}
			case "user":
				if !haveUser {
					haveUser = true
					img.User, img.UserPos = in.Args[0], in.Pos
				}
			case "run":
				for _, tool := range installedTools(strings.Join(in.Args, " ")) {
					img.Installed[tool] = true
				}
			case "copy", "add":
				for _, src := range in.Args {
					base := filepath.Base(src)
					for _, tool := range knownTools {
						if base == tool {
							img.Installed[tool] = true
						}
					}
				}
			}
		}
	}
	root := chain[len(chain)-1]
	img.FromPos = root.FromPos
	img.Base = ClassifyBase(root.From)
	img.BaseRef = root.From
	return img
}

// shellArgv returns the argv the builder stores: shell form becomes
// ["/bin/sh","-c",script].
func shellArgv(in *Instruction) []string {
	if in.ShellForm {
		return []string{"/bin/sh", "-c", strings.Join(in.Args, " ")}
	}
	return in.Args
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

var installRe = regexp.MustCompile(`\b(apk\s+add|apt-get\s+install|apt\s+install|yum\s+install|dnf\s+install|microdnf\s+install|zypper\s+(?:in|install)|pacman\s+-S)\b`)

// installedTools finds the known tools a RUN line installs with a package
// manager, or downloads into place (tini, dumb-init, s6-overlay often are).
func installedTools(script string) []string {
	var out []string
	hasInstall := installRe.MatchString(script)
	words := map[string]bool{}
	if hasInstall {
		for _, w := range strings.FieldsFunc(script, func(r rune) bool {
			return r == ' ' || r == '\t' || r == '\n' || r == ';' || r == '&' || r == '|' || r == '\\' || r == '=' || r == '/'
		}) {
			words[w] = true
		}
	}
	for _, tool := range knownTools {
		switch {
		case words[tool]:
			out = append(out, tool)
		case (tool == "tini" || tool == "s6-overlay" || tool == "dumb-init") && strings.Contains(script, tool):
			out = append(out, tool)
		}
	}
	return out
}
