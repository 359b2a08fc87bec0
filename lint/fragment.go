package lint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Projects split a deployment over several files: compose.yaml, and beside
// it compose.observability.yaml or docker-compose.test.override.yml, which
// only make sense merged onto it (`docker compose -f compose.yaml -f
// compose.observability.yaml up`). On its own such a fragment names services
// it does not define. A file that cannot stand alone is tried on its
// siblings of the compose family, closest name first; the first it merges
// onto cleanly makes the project it is linted in. One that merges onto
// nothing is reported once, as info.

// maxFragmentBases bounds the loads one fragment costs.
const maxFragmentBases = 3

// fragmentError is a file that does not stand alone nor merge onto a sibling.
type fragmentError struct {
	file  string
	errs  *ProjectErrors
	tried []string
}

func (e *fragmentError) Error() string {
	first := e.errs.Errs[0].Msg
	if n := len(e.errs.Errs); n > 1 {
		first += fmt.Sprintf(" (and %d more)", n-1)
	}
	how := "lint it with the file it extends: docker heal lint -f BASE -f " + filepath.Base(e.file)
	if len(e.tried) > 0 {
		how = "it merges onto none of " + strings.Join(e.tried, ", ") + "; " + how
	}
	return "not a complete compose project: " + first + "; " + how
}

// incompleteRe matches compose-go's errors about references to what a
// project does not define: what a fragment gives on its own.
// An empty file (comments only) is a placeholder layer (compose.extras.yaml).
var incompleteRe = regexp.MustCompile(`has neither an image nor a build context|depends on undefined|refers to undefined|not found for network_mode|empty compose file`)

func loadOrMergeFragment(ctx context.Context, po ProjectOptions) (*Project, error) {
	if !po.mayBeFragment || len(po.ConfigFiles) != 1 {
		return LoadProject(ctx, po)
	}
	// The first load skips the detailed errors: a fragment that merges onto
	// its base does not need them.
	quick := po
	quick.noErrorDetail = true
	p, err := LoadProject(ctx, quick)
	if err == nil {
		return p, nil
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return nil, err // found before compose-go ran: already detailed
	}
	if !incompleteRe.MatchString(err.Error()) {
		return LoadProject(ctx, po) // for compose-go's errors in a stable order
	}
	file := absPath(po.ConfigFiles[0])
	var tried []string
	for _, base := range siblingBases(file, po.Root) {
		if len(tried) == maxFragmentBases {
			break
		}
		merged := po
		merged.ConfigFiles = []string{base, file}
		merged.mayBeFragment, merged.noErrorDetail = false, true
		if p, err := LoadProject(ctx, merged); err == nil {
			return p, nil
		}
		tried = append(tried, filepath.Base(base))
	}
	_, err = LoadProject(ctx, po)
	var errs *ProjectErrors
	switch {
	case errors.As(err, &errs) && errs.Incomplete:
	case errors.As(err, &pe) && incompleteRe.MatchString(pe.Msg):
		errs = &ProjectErrors{Errs: []*ParseError{pe}, Incomplete: true}
	default:
		return nil, err
	}
	return nil, &fragmentError{file: file, errs: errs, tried: tried}
}

// siblingBases lists the compose files beside file that it may be meant to
// extend: those whose name is a prefix of its own (docker-compose.test.yml
// for docker-compose.test.override.yml), longest first, then the default
// compose file names.
func siblingBases(file, root string) []string {
	dir, name := filepath.Split(file)
	stem := composeStem(name)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var prefixed []string
	for _, e := range entries {
		n := e.Name()
		if n == name || e.IsDir() || !IsComposeName(n) {
			continue
		}
		if s := composeStem(n); len(s) < len(stem) && strings.HasPrefix(stem, s) && strings.ContainsRune(".-_", rune(stem[len(s)])) {
			prefixed = append(prefixed, n)
		}
	}
	slices.SortFunc(prefixed, func(a, b string) int {
		if d := len(composeStem(b)) - len(composeStem(a)); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, n := range defaultComposeNames {
		if !slices.Contains(prefixed, n) {
			if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
				prefixed = append(prefixed, n)
			}
		}
	}
	var out []string
	for _, n := range prefixed {
		p := filepath.Join(dir, n)
		if root == "" || usableInTree(root, p) {
			out = append(out, p)
		}
	}
	return out
}

func composeStem(name string) string {
	return strings.TrimSuffix(name, filepath.Ext(name))
}
