package lint

import (
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v4"
)

// StdinPath is the PATH that reads a compose file or a Dockerfile from
// standard input, as hadolint's and the docker CLI's "-".
const StdinPath = "-"

// Stdin is a file read from standard input.
type Stdin struct {
	// Name is --stdin-filename: the path findings name (relative to the
	// working folder, where a compose file's relative paths start), and what
	// says compose file or Dockerfile; "" names it "-" and guesses from the
	// content.
	Name    string
	Content []byte
}

// stdinIsCompose says whether the input is a compose file: by its name
// when it has one, else by its content (a YAML mapping with services or
// include).
func (s *Stdin) isCompose() bool {
	if s.Name != "" {
		base := filepath.Base(s.Name)
		if IsDockerfileName(base) {
			return false
		}
		switch strings.ToLower(filepath.Ext(base)) {
		case ".yaml", ".yml":
			return true
		}
	}
	var doc map[string]any
	if err := yaml.Unmarshal(s.Content, &doc); err != nil {
		return false
	}
	_, services := doc["services"]
	_, include := doc["include"]
	return services || include
}

// stdin lints standard input. A Dockerfile is parsed from memory; a compose
// file goes through a private temporary copy (compose-go loads files by
// path), with the project folder where --stdin-filename puts it, and its
// temporary path is renamed in the result afterwards.
func (r *runner) stdin(s *Stdin, po ProjectOptions) error {
	if s == nil {
		return &UsageError{Msg: "PATH - reads standard input, which was not given"}
	}
	display := StdinPath
	if s.Name != "" {
		display = absPath(s.Name)
	}
	if !s.isCompose() {
		r.addFile(display)
		df, err := ParseDockerfile(display, s.Content)
		if err != nil {
			if pe, ok := err.(*ParseError); ok {
				r.invalidAt(pe.Pos, pe.Msg)
			} else {
				r.invalid(display, err.Error())
			}
			r.addDockerfile(display, nil, false)
			return nil
		}
		r.addDockerfile(display, df, false)
		return nil
	}
	dir, err := os.MkdirTemp("", "docker-heal-stdin-")
	if err != nil {
		return err
	}
	r.cleanups = append(r.cleanups, func() { os.RemoveAll(dir) })
	base := "compose.yaml"
	if s.Name != "" {
		base = filepath.Base(s.Name)
	}
	tmp := filepath.Join(dir, base)
	if err := os.WriteFile(tmp, s.Content, 0o600); err != nil {
		return err
	}
	if po.WorkingDir == "" {
		po.WorkingDir = "."
		if s.Name != "" {
			po.WorkingDir = filepath.Dir(display)
		}
	}
	po.ConfigFiles = []string{tmp}
	r.project(po)
	r.renames = append(r.renames, [2]string{tmp, display})
	return nil
}

// applyRenames names standard input's temporary copies as the user did,
// and applies the config's path ignores to that name, which the filter
// could not see.
func (r *runner) applyRenames() {
	for _, rn := range r.renames {
		from, to := rn[0], rn[1]
		kept := r.res.Findings[:0]
		for _, f := range r.res.Findings {
			renamed := f.Pos.File == from
			if renamed {
				f.Pos.File = to
			}
			f.Message = strings.ReplaceAll(f.Message, from, to)
			f.Subject = strings.ReplaceAll(f.Subject, from, to)
			if renamed && r.checker.Config != nil && r.checker.Config.Ignored(f.Rule, f.Pos.File, f.Subject) {
				continue
			}
			kept = append(kept, f)
		}
		r.res.Findings = kept
		for i, f := range r.res.Files {
			if f == from {
				r.res.Files[i] = to
			}
		}
		for i := range r.res.NotChecked {
			if n := &r.res.NotChecked[i]; n.Pos.File == from {
				n.Pos.File = to
			}
		}
	}
}
