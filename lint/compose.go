package lint

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

// lineRe finds the line number in a loader's error message.
var lineRe = regexp.MustCompile(`line (\d+)`)

// ProjectOptions say how to find and load a compose project, as the
// `docker compose` flags of the same names do.
type ProjectOptions struct {
	// WorkingDir is --project-directory; default: the first file's folder, or ".".
	WorkingDir string
	// ConfigFiles are -f files, merged in order; empty: default discovery
	// (compose.yaml and compose.override.yaml, searching upwards; COMPOSE_FILE).
	ConfigFiles []string
	Profiles    []string
	EnvFiles    []string
	// NoUpwardSearch stops default discovery at WorkingDir (directory walks).
	NoUpwardSearch bool
	// Root is the tree a folder walk lints: a default compose file that is a
	// symlink leaving it is not followed.
	Root string
	// mayBeFragment: one compose file found by a walk or named as PATH (not
	// -f) that may be meant to be merged onto a sibling (see fragment.go).
	mayBeFragment bool
	// noErrorDetail: a failure needs no detail (a fragment tried on a
	// base), so a rejected project is not reloaded to list every error.
	noErrorDetail bool
}

// Project is a loaded compose project: its services normalised for the
// rules, the Dockerfiles its services build, and each file's pragmas.
type Project struct {
	Name        string
	WorkingDir  string
	Services    []*Service
	Dockerfiles []*Dockerfile
	// Files are the compose files read (main, overrides, extends, includes).
	Files []string
	// Ignores holds the pragmas of each compose file and Dockerfile read, by path.
	Ignores map[string]*Ignores
	// Problems are per-file errors that did not stop the project loading
	// (a Dockerfile a service builds that cannot be parsed).
	Problems []*ParseError
	// UnsetVariables are variables interpolated as empty strings, at their lines.
	UnsetVariables []UnsetVariable
}

// ErrNoComposeFile is returned when default discovery finds nothing.
var ErrNoComposeFile = errors.New("no compose file found (compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml)")

// LoadProject loads a compose project exactly as docker compose does
// (interpolation, .env and --env-file, override files, extends, include,
// profiles) with compose-go, then maps each service back to its source
// lines and reads the local Dockerfiles its services build.
func LoadProject(ctx context.Context, opts ProjectOptions) (*Project, error) {
	po, err := projectOptions(opts)
	if err != nil {
		return nil, err
	}
	if len(po.ConfigPaths) == 0 {
		return nil, ErrNoComposeFile
	}
	// Parse each main file ourselves first: positions, and a clear
	// file:line error for YAML that compose-go would report without one.
	idx := newPositionIndex()
	for _, f := range po.ConfigPaths {
		if err := idx.addFile(f); err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) && !os.IsNotExist(err) {
				// Unreadable (permissions): this file's finding, not the run's end.
				return nil, &ParseError{Pos: Position{File: f}, Msg: "cannot read: " + readFailure(err)}
			}
			return nil, err
		}
	}
	// Every other file compose-go will read goes through the guard first.
	workDir, err := po.GetWorkingDir()
	if err != nil {
		return nil, err
	}
	if err := idx.preflight(po.ConfigPaths, workDir, po.Environment); err != nil {
		return nil, err
	}
	// Most files load with the quick schema reading (schemafast.go); a file
	// it is not sure of is loaded, and its errors detailed, with compose-go's
	// own schema.
	detail := func() {
		idx.addReferenced(po.ConfigPaths)
		if opts.noErrorDetail {
			return
		}
		if errs := consistencyErrors(ctx, opts, idx, po.ConfigPaths); errs != nil {
			err = errs
			return
		}
		if errs := schemaErrors(ctx, opts, idx, po.ConfigPaths, err); errs != nil {
			err = errs
			return
		}
		err = idx.composeError(po.ConfigPaths, err)
	}
	cp, err, sure := loadQuick(ctx, po)
	if sure && err != nil {
		// A failure that is not the schema's: detailed with the quick
		// reading too, unless it meets a document it is not sure of.
		loadErr := err
		if withQuickSchema(detail) != nil {
			sure, err = false, loadErr
		}
	}
	if !sure {
		withRealSchema(func() {
			cp, err = loadWithRecover(ctx, po)
			if err != nil {
				detail()
			}
		})
	}
	if err != nil {
		return nil, err
	}
	p := &Project{Name: cp.Name, WorkingDir: cp.WorkingDir, Ignores: map[string]*Ignores{}}
	idx.addReferenced(po.ConfigPaths)
	p.Files = idx.order
	for _, f := range idx.order {
		p.Ignores[f] = idx.files[f].ignores
	}
	p.UnsetVariables = idx.unsetVariables(cp.Environment)
	dockerfiles := map[string]*Dockerfile{}
	byName := map[string]*Service{}
	names := slices.Sorted(maps.Keys(cp.Services))
	for _, name := range names {
		sc := cp.Services[name]
		if sc.Provider != nil {
			// provider: hands the service to an external binary (a cloud
			// resource, a secrets store): no container runs, so no container
			// rule applies. A dependency on it resolves to nothing.
			continue
		}
		svc := normaliseService(cp, &sc, idx.locate(po.ConfigPaths, name))
		svc.sources = idx.files
		svc.Env = idx.rawEnvironment(po.ConfigPaths, name, sc.Environment)
		idx.portPositions(po.ConfigPaths, name, svc)
		if sc.Build != nil {
			svc.HasBuild = true
			df, perr := loadBuildDockerfile(cp.WorkingDir, sc.Build, dockerfiles)
			if perr != nil {
				if perr.Refused {
					// Reported where the compose file names it.
					perr = &ParseError{Pos: svc.At("build.dockerfile", "build"), Msg: fmt.Sprintf("build.dockerfile %s: %s", perr.Pos.File, perr.Msg), Refused: true,
						Service: name, ServiceIgnores: svc.IgnoreRules}
				}
				p.Problems = append(p.Problems, perr)
			}
			if df == nil {
				svc.BuildUnread = buildSource(cp.WorkingDir, sc.Build)
			}
			if df != nil {
				// build.args set the Dockerfile's ARGs (FROM ${BASEIMAGE}) for this service.
				df = df.WithBuildArgs(buildArgs(sc.Build.Args))
				svc.build = &serviceBuild{df: df, target: sc.Build.Target}
				svc.Built = true
				svc.ImageConfig = df.Image(sc.Build.Target)
			}
		}
		p.Services = append(p.Services, svc)
		byName[name] = svc
	}
	// Resolve depends_on and mark one-shot jobs.
	for _, svc := range p.Services {
		for i := range svc.DependsOn {
			d := &svc.DependsOn[i]
			d.Target = byName[d.Service]
			if d.Target != nil && d.Condition == types.ServiceConditionCompletedSuccessfully {
				d.Target.OneShot = true
			}
		}
	}
	dependedOn := map[string]bool{}
	for _, svc := range p.Services {
		for _, d := range svc.DependsOn {
			dependedOn[d.Service] = true
		}
	}
	for _, svc := range p.Services {
		if isTestRunner(svc, cp.Services[svc.Name].Profiles, dependedOn[svc.Name]) {
			svc.OneShot = true
		}
	}
	paths := slices.Sorted(maps.Keys(dockerfiles))
	for _, path := range paths {
		if df := dockerfiles[path]; df != nil {
			p.Dockerfiles = append(p.Dockerfiles, df)
			// A service's finding may point into its Dockerfile: its pragmas apply.
			p.Ignores[path] = df.Ignores
		}
	}
	return p, nil
}

func projectOptions(opts ProjectOptions, extra ...cli.ProjectOptionsFn) (*cli.ProjectOptions, error) {
	fns := []cli.ProjectOptionsFn{
		cli.WithOsEnv,
		cli.WithEnvFiles(opts.EnvFiles...),
		guardedDotEnv,
		cli.WithConfigFileEnv,
		// A linter must see every service: all profiles unless --profile
		// narrows them as compose does (COMPOSE_PROFILES is a deploy choice).
		cli.WithDefaultProfiles(defaultProfiles(opts.Profiles)...),
		cli.WithResolvedPaths(true),
		cli.WithLoadOptions(func(o *loader.Options) {
			// A linter should not fail on an env_file or a secret file that
			// only exists on the deploy host.
			o.SkipResolveEnvironment = true
		}),
	}
	if opts.WorkingDir != "" {
		fns = append([]cli.ProjectOptionsFn{cli.WithWorkingDirectory(opts.WorkingDir)}, fns...)
	}
	if len(opts.ConfigFiles) == 0 {
		if opts.NoUpwardSearch && opts.WorkingDir != "" {
			fns = append(fns, withDefaultFilesIn(opts.WorkingDir, opts.Root))
		} else {
			fns = append(fns, cli.WithDefaultConfigPath)
		}
	}
	po, err := cli.NewProjectOptions(opts.ConfigFiles, append(fns, extra...)...)
	if err != nil {
		return nil, err
	}
	for i, f := range po.ConfigPaths {
		if f == "-" {
			return nil, fmt.Errorf("reading a compose file from standard input is not supported: name the file")
		}
		if abs, err := filepath.Abs(f); err == nil {
			po.ConfigPaths[i] = abs
		}
	}
	return po, nil
}

func defaultProfiles(profiles []string) []string {
	if len(profiles) == 0 {
		return []string{"*"}
	}
	return profiles
}

// withDefaultFilesIn picks the default compose file and override of one
// folder, without searching its parents (used when walking a tree).
func withDefaultFilesIn(dir, root string) cli.ProjectOptionsFn {
	return func(o *cli.ProjectOptions) error {
		if len(o.ConfigPaths) > 0 {
			return nil
		}
		for _, names := range [][]string{cli.DefaultFileNames, cli.DefaultOverrideFileNames} {
			for _, n := range names {
				p := filepath.Join(dir, n)
				if root != "" && !usableInTree(root, p) {
					continue
				}
				if st, err := os.Stat(p); err == nil && !st.IsDir() {
					o.ConfigPaths = append(o.ConfigPaths, p)
					break
				}
			}
		}
		return nil
	}
}

func loadWithRecover(ctx context.Context, po *cli.ProjectOptions) (p *types.Project, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("the compose loader failed: %v", r)
		}
	}()
	return po.LoadProject(ctx)
}

var (
	keyPathRe     = regexp.MustCompile(`services\.([A-Za-z0-9._-]+?)((?:\.[A-Za-z0-9_-]+)*)(?:[\s:]|$)`)
	serviceNameRe = regexp.MustCompile(`service "([^"]+)"`)
	falseSchemaRe = regexp.MustCompile(`validating (\S+?) false schema`)
	topKeyRe      = regexp.MustCompile(`^(?:validating )?([a-z][a-zA-Z0-9_.-]*) must be a `)
	invalidSpecRe = regexp.MustCompile(`invalid (?:spec|volume specification|port spec)[^:]*: '?(\S+?)'?: `)
)

// composeError turns a compose-go error into a ParseError at the file and
// line it is about: compose-go names key paths (services.web.restartt) or
// services, not lines, so they are looked up in the parsed files.
func (ix *positionIndex) composeError(files []string, err error) error {
	if pe, ok := envFileError(err).(*ParseError); ok {
		return pe
	}
	msg := err.Error()
	for _, target := range slices.Sorted(maps.Keys(ix.opaque)) {
		if strings.Contains(msg, target) {
			return ix.opaque[target]
		}
	}
	pos := Position{File: files[0]}
	for _, f := range files {
		if strings.Contains(msg, f) {
			pos.File = f
			msg = strings.ReplaceAll(msg, fmt.Sprintf("compose file %q is invalid: ", f), "")
			msg = strings.ReplaceAll(msg, fmt.Sprintf("compose file %q %s is invalid: ", f, "found by default file discovery"), "")
			msg = strings.ReplaceAll(msg, f+": ", "")
		}
	}
	if m := falseSchemaRe.FindStringSubmatch(msg); m != nil {
		key := m[1][strings.LastIndex(m[1], ".")+1:]
		msg = fmt.Sprintf("%s: unknown key %q: it is not in the compose specification (a typo?)", m[1], key)
	}
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		return &ParseError{Pos: pos, Msg: msg}
	}
	var where Position
	service := ""
	switch m := keyPathRe.FindStringSubmatch(msg); {
	case m != nil:
		loc := ix.locate(files, m[1])
		where = loc.pos
		if loc.pos.Line > 0 {
			service = m[1]
		}
		// The longest written prefix of the key path.
		path := strings.TrimPrefix(m[2], ".")
		for path != "" {
			if p, ok := loc.keys[path]; ok {
				where = p
				break
			}
			i := strings.LastIndex(path, ".")
			if i < 0 {
				break
			}
			path = path[:i]
		}
	default:
		if m := serviceNameRe.FindStringSubmatch(msg); m != nil {
			where = ix.locate(files, m[1]).pos
			if where.Line > 0 {
				service = m[1]
			}
		}
	}
	if where.Line == 0 {
		if m := invalidSpecRe.FindStringSubmatch(msg); m != nil {
			where = ix.find(files, m[1])
		}
	}
	if where.Line == 0 {
		// "services must be a mapping", "validating networks.db must be a
		// mapping": the deepest key of the path written, at its line.
		if m := topKeyRe.FindStringSubmatch(msg); m != nil {
			for _, f := range files {
				sf := ix.files[f]
				if sf == nil {
					continue
				}
				node := sf.root
				for _, key := range strings.Split(m[1], ".") {
					k, v := mapping(node, key)
					if k == nil {
						break
					}
					where, node = Position{File: f, Line: k.Line, Col: k.Column}, v
				}
				if where.Line > 0 {
					break
				}
			}
		}
	}
	if where.Line > 0 {
		pos = where
	}
	pe := &ParseError{Pos: pos, Msg: msg}
	if service != "" {
		// In a service: x-docker-heal and a config service ignore apply.
		pe.Service, pe.ServiceIgnores = service, ix.serviceIgnores(files, service)
	}
	return pe
}

// serviceIgnores reads a service's x-docker-heal ignore list from the
// files as written (compose-go rejected the project).
func (ix *positionIndex) serviceIgnores(files []string, name string) []string {
	for _, f := range append(append([]string{}, files...), ix.order...) {
		sf := ix.files[f]
		if sf == nil {
			continue
		}
		_, svcs := mapping(sf.root, "services")
		if _, node := mapping(svcs, name); node != nil {
			return extensionIgnoresNode(node)
		}
	}
	return nil
}

// extensionIgnoresNode reads `x-docker-heal: {ignore: ...}` from a service node.
func extensionIgnoresNode(svc *yaml.Node) []string {
	_, x := mapping(svc, "x-docker-heal")
	_, ig := mapping(x, "ignore")
	if ig == nil {
		return nil
	}
	var raw any
	if ig.Decode(&raw) != nil {
		return nil
	}
	return extensionIgnores(map[string]any{"x-docker-heal": map[string]any{"ignore": raw}})
}

// find returns the first line of the files that contains text.
func (ix *positionIndex) find(files []string, text string) Position {
	for _, f := range files {
		src, err := ReadSource(f)
		if err != nil {
			continue
		}
		for i, line := range strings.Split(string(src), "\n") {
			if col := strings.Index(line, text); col >= 0 {
				return Position{File: f, Line: i + 1, Col: col + 1}
			}
		}
	}
	return Position{}
}

func loadBuildDockerfile(workDir string, b *types.BuildConfig, cache map[string]*Dockerfile) (*Dockerfile, *ParseError) {
	if b.DockerfileInline != "" {
		df, err := ParseDockerfile(filepath.Join(workDir, "dockerfile_inline"), []byte(b.DockerfileInline))
		if err != nil {
			return nil, asParseError(err, workDir)
		}
		if b.Context != "" && !remoteContext(b.Context) {
			df.Context = b.Context
		}
		return df, nil
	}
	ctxDir := b.Context
	if ctxDir == "" {
		ctxDir = workDir
	}
	if remoteContext(ctxDir) {
		return nil, nil // a remote context: nothing local to read
	}
	name := b.Dockerfile
	if name == "" {
		name = "Dockerfile"
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(ctxDir, name)
	}
	if df, ok := cache[path]; ok {
		return df, nil
	}
	df, err := LoadDockerfile(path)
	if err != nil {
		cache[path] = nil
		if os.IsNotExist(err) {
			// The build context may not be checked out here; the service is
			// still linted without its image config.
			return nil, nil
		}
		pe := asParseError(err, path)
		if !pe.Refused && !looksLikeDockerfileName(filepath.Base(path)) {
			// build.dockerfile may name any file (/etc/shadow): the parser's
			// message would quote its text.
			pe = &ParseError{Pos: pe.Pos, Msg: "not a Dockerfile: it cannot be parsed (its text is not shown, as the file is not named like a Dockerfile)", Refused: true}
		}
		return nil, pe
	}
	df.UsedByCompose = true
	df.Context = ctxDir
	cache[path] = df
	return df, nil
}

// buildSource names the Dockerfile a build: section builds, as
// loadBuildDockerfile finds it, for messages: relative to the compose file's
// folder when inside it, the context itself when remote.
func buildSource(workDir string, b *types.BuildConfig) string {
	if b.DockerfileInline != "" {
		return "dockerfile_inline"
	}
	ctxDir := b.Context
	if ctxDir == "" {
		ctxDir = workDir
	}
	if remoteContext(ctxDir) {
		return ctxDir
	}
	name := b.Dockerfile
	if name == "" {
		name = "Dockerfile"
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(ctxDir, name)
	}
	if rel, err := filepath.Rel(workDir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return path
}

// buildArgs are a build's args with a value: one given without (args: [X])
// takes it from the environment compose runs in, unknown here.
func buildArgs(m types.MappingWithEquals) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// remoteContext says whether a build context is a URL or a git remote.
func remoteContext(ctx string) bool {
	return strings.Contains(ctx, "://") || strings.HasPrefix(ctx, "git@")
}

// looksLikeDockerfileName is wider than IsDockerfileName: a file a build
// names explicitly (Dockerfile-prod, app.containerfile) is its author's Dockerfile.
func looksLikeDockerfileName(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "dockerfile") || strings.Contains(n, "containerfile")
}

func asParseError(err error, path string) *ParseError {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe
	}
	return &ParseError{Pos: Position{File: path}, Msg: err.Error()}
}

// normaliseService turns a compose-go service into the Service rules read.
func normaliseService(p *types.Project, sc *types.ServiceConfig, loc serviceLocation) *Service {
	svc := &Service{
		Kind:        KindCompose,
		Name:        sc.Name,
		Project:     p.Name,
		Pos:         loc.pos,
		Keys:        loc.keys,
		Image:       sc.Image,
		Init:        sc.Init,
		User:        sc.User,
		Privileged:  sc.Privileged,
		Labels:      map[string]string(sc.Labels),
		NetworkMode: sc.NetworkMode,
		CapAdd:      sc.CapAdd,
		PidMode:     sc.Pid,
		IpcMode:     sc.Ipc,
		UsernsMode:  sc.UserNSMode,
		MemLimit:    int64(sc.MemLimit),
		MemSwap:     int64(sc.MemSwapLimit),
		MemReserve:  int64(sc.MemReservation),
		CPUs:        float64(sc.CPUS),
		PidsLimit:   sc.PidsLimit,
	}
	if sc.Entrypoint != nil {
		svc.Entrypoint = []string(sc.Entrypoint)
	}
	if sc.Command != nil {
		svc.Command = []string(sc.Command)
	}
	if hc := sc.HealthCheck; hc != nil {
		h := &Healthcheck{Test: []string(hc.Test), Disabled: hc.Disable, Pos: svc.At("healthcheck")}
		if len(h.Test) > 0 && strings.EqualFold(h.Test[0], "NONE") {
			h.Disabled = true
		}
		if hc.Interval != nil {
			h.Interval = durationOf(hc.Interval)
		}
		if hc.Timeout != nil {
			h.Timeout = durationOf(hc.Timeout)
		}
		if hc.StartPeriod != nil {
			h.StartPeriod = durationOf(hc.StartPeriod)
		}
		if hc.StartInterval != nil {
			h.StartInterval = durationOf(hc.StartInterval)
		}
		if hc.Retries != nil {
			h.Retries, h.RetriesSet = int(min(*hc.Retries, 1<<30)), true
		}
		svc.Healthcheck = h
	}
	svc.Restart.Name = sc.Restart
	if d := sc.Deploy; d != nil {
		if rp := d.RestartPolicy; rp != nil {
			if svc.Restart.Name == "" {
				svc.Restart = RestartPolicy{Name: deployCondition(rp.Condition), FromDeploy: true}
			}
			if rp.MaxAttempts != nil {
				svc.Restart.MaxRetries = int(min(*rp.MaxAttempts, 1<<30))
			}
		}
		if l := d.Resources.Limits; l != nil {
			if l.MemoryBytes > 0 {
				svc.MemLimit = int64(l.MemoryBytes)
			}
			if l.NanoCPUs > 0 {
				svc.CPUs = float64(l.NanoCPUs)
			}
			if l.Pids > 0 && svc.PidsLimit == 0 {
				svc.PidsLimit = l.Pids
			}
		}
		if r := d.Resources.Reservations; r != nil {
			if r.MemoryBytes > 0 {
				svc.MemReserve = int64(r.MemoryBytes)
			}
			if r.NanoCPUs > 0 {
				svc.CPUReserve = float64(r.NanoCPUs)
			}
		}
	}
	if name, retries, ok := strings.Cut(svc.Restart.Name, ":"); ok && name == "on-failure" {
		svc.Restart.Name = name
		svc.Restart.MaxRetries, _ = strconv.Atoi(retries)
	}
	// restart: "no" written explicitly marks a one-shot job.
	if _, written := svc.Keys["restart"]; written && svc.Restart.Name == "no" {
		svc.OneShot = true
	}
	if lg := sc.Logging; lg != nil {
		svc.LogDriver, svc.LogOptions = lg.Driver, map[string]string(lg.Options)
	}
	if sc.LogDriver != "" {
		svc.LogDriver = sc.LogDriver
	}
	if len(sc.LogOpt) > 0 {
		svc.LogOptions = sc.LogOpt
	}
	if len(sc.Ulimits) > 0 {
		svc.Ulimits = map[string]Ulimit{}
		for name, u := range sc.Ulimits {
			if u == nil {
				continue
			}
			if u.Single != 0 {
				svc.Ulimits[name] = Ulimit{Soft: int64(u.Single), Hard: int64(u.Single)}
			} else {
				svc.Ulimits[name] = Ulimit{Soft: int64(u.Soft), Hard: int64(u.Hard)}
			}
		}
	}
	for _, v := range sc.Volumes {
		svc.Mounts = append(svc.Mounts, Mount{Type: v.Type, Source: v.Source, Target: v.Target})
	}
	if sc.UseAPISocket {
		svc.Mounts = append(svc.Mounts, Mount{Type: "bind", Source: "/var/run/docker.sock", Target: "/var/run/docker.sock"})
	}
	deps := slices.Sorted(maps.Keys(sc.DependsOn))
	for _, name := range deps {
		d := sc.DependsOn[name]
		svc.DependsOn = append(svc.DependsOn, Dependency{
			Service:   name,
			Condition: d.Condition,
			Restart:   d.Restart,
			Pos:       svc.At("depends_on."+name, "depends_on"),
		})
	}
	if sc.StopGracePeriod != nil {
		d := durationOf(sc.StopGracePeriod)
		svc.StopGracePeriod = &d
	}
	for _, p := range sc.Ports {
		svc.Ports = append(svc.Ports, Port{Target: p.Target, Published: p.Published, HostIP: p.HostIP, Protocol: p.Protocol})
	}
	svc.IgnoreRules = extensionIgnores(sc.Extensions)
	return svc
}

func durationOf(d *types.Duration) time.Duration { return time.Duration(*d) }

// deployCondition maps a Swarm restart condition to the engine's names.
func deployCondition(c string) string {
	switch c {
	case "", "any":
		return "always"
	case "on-failure":
		return "on-failure"
	case "none":
		return "no"
	}
	return c
}

// extensionIgnores reads `x-docker-heal: {ignore: [ID, ...]}`.
func extensionIgnores(ext types.Extensions) []string {
	raw, ok := ext["x-docker-heal"]
	if !ok {
		return nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	switch v := m["ignore"].(type) {
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case string:
		for _, s := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

// isTestRunner tells a service that runs a test suite and exits: `sut`, the
// service Docker Hub's automated tests run from docker-compose.test.yml, or a
// service nothing depends on in a compose file named for tests
// (compose.tests.yaml, docker-compose.test.yml) or behind only a test profile.
// Giving it restart: unless-stopped would rerun the suite forever, and a
// healthcheck has nothing to watch.
func isTestRunner(svc *Service, profiles []string, dependedOn bool) bool {
	if svc.Name == "sut" {
		return true
	}
	if dependedOn {
		return false
	}
	if len(profiles) > 0 && !slices.ContainsFunc(profiles, func(p string) bool { return !isTestWord(p) }) {
		return true
	}
	// The file's name (compose.test.yaml), the folder it sits in (tests/,
	// e2e/) or the service's own name (test-runner, e2e_tests) says tests.
	base := strings.ToLower(filepath.Base(svc.Pos.File))
	dir := strings.ToLower(filepath.Base(filepath.Dir(svc.Pos.File)))
	return hasTestWord(base) || hasTestWord(dir) || hasTestWord(strings.ToLower(svc.Name))
}

func hasTestWord(name string) bool {
	return slices.ContainsFunc(strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == '-' || r == '_' }), isTestWord)
}

func isTestWord(w string) bool { return w == "test" || w == "tests" || w == "e2e" }
