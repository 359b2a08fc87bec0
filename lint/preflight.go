package lint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/template"
	"go.yaml.in/yaml/v4"
)

// compose-go reads include: and extends.file targets, the included projects'
// .env and env_file: entries, and label_file: entries with plain os.ReadFile:
// a FIFO among them would hang it, /dev/zero would exhaust memory, and a
// deeply nested target would take it minutes. Its loader has no hook for
// local reads (a ResourceLoader that accepted local paths would also change
// how relative paths resolve), so the files are found here first, by walking
// the YAML nodes as compose-go will, and each goes through the guard before
// compose-go is called. A refused file is reported at the line that names it.

// maxReferencedFiles bounds the walk over include/extends chains.
const maxReferencedFiles = 256

// reference is one file a compose file makes compose-go read.
type reference struct {
	kind    string // include, extends.file, env_file, label_file, include env_file
	path    string // as written, interpolated
	node    *yaml.Node
	compose bool   // a compose file: parsed, depth-checked and followed
	project string // include's project_directory, as written
	service *yaml.Node
	name    string // the service naming the file, if one does
}

// preflight checks every file compose-go will read beyond the main files,
// which are already in ix. base is the project's working directory.
func (ix *positionIndex) preflight(mainFiles []string, base string, env map[string]string) error {
	type item struct{ file, base string }
	var queue []item
	for _, f := range mainFiles {
		queue = append(queue, item{f, base})
	}
	visited := map[string]bool{}
	for n := 0; len(queue) > 0 && n < maxReferencedFiles; n++ {
		it := queue[0]
		queue = queue[1:]
		if visited[it.file] {
			continue
		}
		visited[it.file] = true
		sf := ix.files[it.file]
		if sf == nil {
			continue
		}
		for _, ref := range references(sf.root, env) {
			if ref.compose && isRemote(ref.path) {
				return refError(it.file, ref, ref.path, errors.New("a remote project (OCI artifact or git repository): docker heal lint reads local files only, and fetches nothing; lint the included project's files themselves"))
			}
			target := ref.path
			if !filepath.IsAbs(target) {
				target = filepath.Join(it.base, target)
			}
			if !ref.compose {
				if err := checkEnvFile(target); err != nil && !os.IsNotExist(err) {
					return refError(it.file, ref, ref.path, err)
				}
				continue
			}
			if _, err := os.Stat(target); os.IsNotExist(err) {
				continue // compose-go says which file is missing
			}
			if err := ix.addFile(target); err != nil {
				var pe *ParseError
				if isRefused(err) || !errors.As(err, &pe) {
					return refError(it.file, ref, ref.path, err)
				}
				if !isYAMLName(target) {
					// include: /etc/shadow: the YAML error would quote its text.
					return refError(it.file, ref, ref.path, refused(target, 0, "not a compose file: it does not parse as YAML (its text is not shown, as the file is not named .yaml or .yml)"))
				}
				continue // a YAML error in a compose file: compose-go reports it
			}
			if !isYAMLName(target) {
				if ix.opaque == nil {
					ix.opaque = map[string]*ParseError{}
				}
				ix.opaque[target] = refParseError(it.file, ref, ref.path, refused(target, 0, "compose-go rejects it (its message is not shown: it can quote a file not named .yaml or .yml)"))
			}
			next := filepath.Dir(target)
			if ref.kind == "include" {
				if ref.project != "" {
					next = ref.project
					if !filepath.IsAbs(next) {
						next = filepath.Join(it.base, next)
					}
				}
				// compose-go reads the included project's own .env.
				if err := checkEnvFile(filepath.Join(next, ".env")); err != nil && !os.IsNotExist(err) {
					return refError(it.file, ref, filepath.Join(filepath.Dir(ref.path), ".env"), err)
				}
			}
			queue = append(queue, item{target, next})
		}
	}
	return nil
}

// isRemote says whether a compose reference names a remote project, which
// docker compose fetches with its OCI or git loader: oci://..., a URL, or
// git@host:repo.
func isRemote(p string) bool {
	return strings.Contains(p, "://") || strings.HasPrefix(p, "git@")
}

// refError is a refused file reported at the line of the file naming it.
func refError(from string, ref reference, name string, err error) error {
	return refParseError(from, ref, name, err)
}

func refParseError(from string, ref reference, name string, err error) *ParseError {
	pos := Position{File: from}
	if ref.node != nil {
		pos.Line, pos.Col = ref.node.Line, ref.node.Column
	}
	reason := err.Error()
	var pe *ParseError
	if errors.As(err, &pe) {
		reason = pe.Msg
		if pe.Pos.Line > 0 {
			reason += fmt.Sprintf(" (its line %d)", pe.Pos.Line)
		}
	} else if errors.Is(err, os.ErrPermission) {
		reason = "permission denied"
	}
	out := &ParseError{Pos: pos, Msg: fmt.Sprintf("%s %s: %s", ref.kind, name, reason), Refused: true}
	if ref.service != nil {
		out.Service, out.ServiceIgnores = ref.name, extensionIgnoresNode(ref.service)
	}
	return out
}

// references lists the files a compose file's nodes make compose-go read,
// with ${VAR} interpolated from env as compose-go does.
func references(root *yaml.Node, env map[string]string) []reference {
	var out []reference
	add := func(kind string, n *yaml.Node, compose bool, project string) {
		if n == nil || n.Kind != yaml.ScalarNode || n.Value == "" {
			return
		}
		p := interpolate(n.Value, env)
		if p == "" || (!compose && p == os.DevNull) {
			return
		}
		out = append(out, reference{kind: kind, path: p, node: n, compose: compose, project: interpolate(project, env)})
	}
	eachScalar := func(n *yaml.Node, f func(*yaml.Node)) {
		if n == nil {
			return
		}
		switch n.Kind {
		case yaml.ScalarNode:
			f(n)
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if c.Kind == yaml.MappingNode { // env_file: [{path: x, required: false}]
					_, c = mapping(c, "path")
				}
				if c != nil && c.Kind == yaml.ScalarNode {
					f(c)
				}
			}
		}
	}
	if _, inc := mapping(root, "include"); inc != nil && inc.Kind == yaml.SequenceNode {
		for _, item := range inc.Content {
			switch item.Kind {
			case yaml.ScalarNode:
				add("include", item, true, "")
			case yaml.MappingNode:
				project := ""
				if _, pd := mapping(item, "project_directory"); pd != nil && pd.Kind == yaml.ScalarNode {
					project = pd.Value
				}
				_, paths := mapping(item, "path")
				eachScalar(paths, func(n *yaml.Node) { add("include", n, true, project) })
				_, envs := mapping(item, "env_file")
				eachScalar(envs, func(n *yaml.Node) { add("include env_file", n, false, "") })
			}
		}
	}
	for _, section := range []string{"services", "jobs"} {
		_, svcs := mapping(root, section)
		if svcs == nil || svcs.Kind != yaml.MappingNode {
			continue
		}
		for i := 1; i < len(svcs.Content); i += 2 {
			svc := svcs.Content[i]
			first := len(out)
			if _, ext := mapping(svc, "extends"); ext != nil {
				_, file := mapping(ext, "file")
				add("extends.file", file, true, "")
			}
			_, envs := mapping(svc, "env_file")
			eachScalar(envs, func(n *yaml.Node) { add("env_file", n, false, "") })
			_, labels := mapping(svc, "label_file")
			eachScalar(labels, func(n *yaml.Node) { add("label_file", n, false, "") })
			for j := first; j < len(out); j++ {
				out[j].service, out[j].name = svc, svcs.Content[i-1].Value
			}
		}
	}
	return out
}

func interpolate(s string, env map[string]string) string {
	out, err := template.Substitute(s, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		return s
	}
	return out
}

// guardedDotEnv checks .env and --env-file before compose-go reads them for
// interpolation, and keeps their content out of error messages: an env file
// holds secrets, and a parse error would quote the offending line.
func guardedDotEnv(o *cli.ProjectOptions) error {
	for _, f := range o.EnvFiles {
		if f == os.DevNull {
			continue
		}
		if err := checkEnvFile(f); err != nil && !os.IsNotExist(err) {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.Pos.File = absPath(f)
				pe.Msg = "env file: " + pe.Msg
				return pe
			}
			return err
		}
		if err := canOpen(f); err != nil && !os.IsNotExist(err) {
			return &ParseError{Pos: Position{File: absPath(f)}, Msg: "env file: cannot read: " + readFailure(err)}
		}
	}
	if err := cli.WithDotEnv(o); err != nil {
		return envFileError(err)
	}
	return nil
}

var envLineErrRe = regexp.MustCompile(`failed to read (.+?): line (\d+): `)

// envFileError turns compose-go's env file parse errors, which quote the
// line, into a ParseError at that line that does not.
func envFileError(err error) error {
	m := envLineErrRe.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	line, _ := strconv.Atoi(m[2])
	return &ParseError{Pos: Position{File: absPath(m[1]), Line: line}, Msg: "env file: this line cannot be parsed as NAME=value (its text is not shown: env files hold secrets)"}
}

// canOpen says whether f can be opened for reading (permissions), without
// blocking on a FIFO swapped in since the stat.
func canOpen(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

func isYAMLName(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".yaml" || ext == ".yml"
}
