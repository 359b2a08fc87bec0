package lint

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
)

// A fix is text edits at byte offsets of the file that defines the value,
// never a re-marshalled document: comments, blank lines, key order, anchors,
// quoting, indentation and line endings are the author's and stay.

// Edit replaces the bytes [Start, End) of File with Text; Start == End inserts.
type Edit struct {
	File       string
	Start, End int
	Text       string
}

// Fix is what turns one finding's file into one without it. Unsafe fixes
// change behaviour a user may rely on (init: true, a port bound to
// 127.0.0.1, a tag pinned to a digest); they are applied only when asked.
type Fix struct {
	Unsafe bool
	// Description says what the fix does: "add restart: unless-stopped".
	Description string
	Edits       []Edit
}

// FixMode says which fixes to apply.
type FixMode int

const (
	FixSafe   FixMode = iota // safe fixes only
	FixUnsafe                // safe and unsafe fixes
)

// FixResult is the outcome of planning the fixes of a run: the new contents
// of each file changed, the fixes applied by rule, and those skipped because
// their edits overlapped an earlier fix's (the next run applies them).
type FixResult struct {
	// Files maps each changed file (as the edits name it) to its old and new text.
	Files   map[string]FileChange
	Applied map[string]int
	Skipped int
}

// FileChange is one file's text before and after its fixes.
type FileChange struct {
	Old, New []byte
}

// Fixable reports whether f carries a fix the mode applies.
func (f Finding) Fixable(mode FixMode) bool {
	return f.Fix != nil && len(f.Fix.Edits) > 0 && (!f.Fix.Unsafe || mode == FixUnsafe)
}

// PlanFixes groups the fixes of findings by file and applies them to the
// files' current text in memory. A fix whose edits overlap an already
// accepted fix's is skipped whole; identical edits (one finding reached
// from two projects) count once.
func PlanFixes(findings []Finding, mode FixMode) (*FixResult, error) {
	res := &FixResult{Files: map[string]FileChange{}, Applied: map[string]int{}}
	accepted := map[string][]Edit{}
	seenFix := map[string]bool{}
	// A file reached through a symlink and by its own name (a walk lints
	// both) is one file: its edits are planned, and written, once.
	realPaths := map[string]string{}
	realPath := func(p string) string {
		if r, ok := realPaths[p]; ok {
			return r
		}
		r := p
		if x, err := filepath.EvalSymlinks(p); err == nil {
			r = x
		}
		realPaths[p] = r
		return r
	}
	for _, f := range findings {
		if !f.Fixable(mode) {
			continue
		}
		edits := make([]Edit, len(f.Fix.Edits))
		for i, e := range f.Fix.Edits {
			e.File = realPath(e.File)
			edits[i] = e
		}
		key := fixKey(edits)
		if seenFix[key] {
			continue
		}
		seenFix[key] = true
		if !fits(accepted, edits) {
			res.Skipped++
			continue
		}
		for _, e := range edits {
			accepted[e.File] = append(accepted[e.File], e)
		}
		res.Applied[f.Rule]++
	}
	for _, file := range slices.Sorted(maps.Keys(accepted)) {
		old, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("fixing %s: %v", file, err)
		}
		edits := accepted[file]
		// Insertions at one offset keep the order their findings came in.
		sort.SliceStable(edits, func(i, j int) bool { return edits[i].Start < edits[j].Start })
		var b bytes.Buffer
		at := 0
		for _, e := range edits {
			if e.Start < at || e.End > len(old) || e.Start > e.End {
				return nil, fmt.Errorf("fixing %s: edit at bytes %d-%d is out of range: the file changed while it was linted", file, e.Start, e.End)
			}
			b.Write(old[at:e.Start])
			b.WriteString(e.Text)
			at = e.End
		}
		b.Write(old[at:])
		if !bytes.Equal(old, b.Bytes()) {
			res.Files[file] = FileChange{Old: old, New: b.Bytes()}
		}
	}
	return res, nil
}

func fixKey(edits []Edit) string {
	var b strings.Builder
	for _, e := range edits {
		fmt.Fprintf(&b, "%s\x00%d\x00%d\x00%s\x01", e.File, e.Start, e.End, e.Text)
	}
	return b.String()
}

// fits reports whether edits overlap none of the accepted ones. Two
// insertions at one offset do not overlap; an insertion strictly inside a
// replaced range does.
func fits(accepted map[string][]Edit, edits []Edit) bool {
	for _, e := range edits {
		for _, a := range accepted[e.File] {
			if overlap(a, e) {
				return false
			}
		}
	}
	return true
}

func overlap(a, b Edit) bool {
	if a.Start == a.End && b.Start == b.End {
		return false
	}
	if a.Start == a.End {
		return a.Start > b.Start && a.Start < b.End
	}
	if b.Start == b.End {
		return b.Start > a.Start && b.Start < a.End
	}
	return a.Start < b.End && b.Start < a.End
}

// WriteFixes writes each changed file atomically: a temporary file in the
// same folder, with the original's mode, renamed over it. A file changed
// since it was read is left alone and reported.
func (r *FixResult) WriteFixes() error {
	for _, file := range slices.Sorted(maps.Keys(r.Files)) {
		ch := r.Files[file]
		now, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("fixing %s: %v", file, err)
		}
		if !bytes.Equal(now, ch.Old) {
			return fmt.Errorf("fixing %s: the file changed while it was linted; run again", file)
		}
		if err := writeAtomic(file, ch.New); err != nil {
			return fmt.Errorf("fixing %s: %v", file, err)
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	// A symlinked compose file is fixed where it points, and stays a link.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	// The rename would replace a file its owner made read-only, or one we
	// may not write (only the folder is writable): refuse, as an editor does.
	if st.Mode().Perm()&0o222 == 0 {
		return fmt.Errorf("the file is read-only (mode %04o): make it writable (chmod u+w) to fix it, or print the fixes with --diff", st.Mode().Perm())
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("%v: it cannot be written here (make it writable, or run as a user who may write it), or print the fixes with --diff", err)
	}
	f.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".heal-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := keepOwner(tmp, st); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}

// DiffBase returns the folder the diff's paths are relative to: wd when
// every changed file is under it, else root (the repository's) when every
// file is under that; "" when neither holds (then the paths are absolute,
// and patch -p1 applies them in /).
func (r *FixResult) DiffBase(wd, root string) string {
	under := func(dir string) bool {
		for file := range r.Files {
			rel, err := filepath.Rel(dir, file)
			if dir == "" || err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return false
			}
		}
		return true
	}
	switch {
	case under(wd):
		return wd
	case under(root):
		return root
	}
	return ""
}

// Diff renders the changes as one unified diff, files in name order, with
// a/ and b/ prefixes on paths relative to base (the folder `patch -p1` or
// `git apply` runs in), so the output applies as it is.
func (r *FixResult) Diff(base string) string {
	var b strings.Builder
	for _, file := range slices.Sorted(maps.Keys(r.Files)) {
		ch := r.Files[file]
		name := file
		if rel, err := filepath.Rel(base, file); base != "" && err == nil && !strings.HasPrefix(rel, "..") {
			name = rel
		}
		// A file outside base keeps its absolute path: patch -p1 in / applies it.
		name = strings.TrimPrefix(filepath.ToSlash(name), "/")
		b.WriteString(udiff.Unified("a/"+name, "b/"+name, string(ch.Old), string(ch.New)))
	}
	return b.String()
}
