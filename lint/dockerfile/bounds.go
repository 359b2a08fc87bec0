package dockerfile

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/docker-heal/docker-heal/lint/source"
)

// Bounds on the work a Dockerfile may ask of the linter (see lint's
// bounds.go for the compose side): each turns a file that would cost
// minutes and gigabytes into an invalid-file error naming file:line.

// maxDockerfileSize and maxDockerfileLines bound a Dockerfile before the
// parser builds its tree (a 16 MB file of 1.35 million RUN lines took 24 s
// and 3.6 GB). Real ones are a few hundred lines.
const (
	maxDockerfileSize  = 1 << 20
	maxDockerfileLines = 20000
)

// maxExpandedWord bounds what one word's ARG/ENV expansion may produce, and
// maxExpansionWork the bytes all of a Dockerfile's expansions may produce
// together (ENV X=${X}${X} 27 times asked for 128 MB, 17 s and 2 GB).
const (
	maxExpandedWord  = 1 << 20
	maxExpansionWork = 16 << 20
)

// checkDockerfileSize refuses a Dockerfile too big to parse for a lint.
func checkDockerfileSize(path string, src []byte) error {
	if len(src) > maxDockerfileSize {
		return source.Refused(path, 0, "Dockerfile is %d bytes, more than the %d a Dockerfile can reasonably be", len(src), maxDockerfileSize)
	}
	if n := bytes.Count(src, []byte{'\n'}); n > maxDockerfileLines {
		return source.Refused(path, maxDockerfileLines+1, "Dockerfile has %d lines, more than the %d a Dockerfile can reasonably have", n, maxDockerfileLines)
	}
	return nil
}

// varRef finds the variable references in a word: $NAME, ${NAME} and
// ${NAME<modifier>...}; group 2 is the "}" of a plain ${NAME}.
var varRef = regexp.MustCompile(`\$(\{)?([A-Za-z_][A-Za-z0-9_]*)(\})?`)

// expansionBound is an upper bound on the length of word with its variables
// expanded from sizes (a variable's longest value so far): a plain $NAME or
// ${NAME} is replaced by at most that size, and a reference with a modifier
// (${NAME:-default}, ${NAME%%pattern}) keeps its text counted too, so its
// default or alternative is covered; nothing makes the result longer.
func expansionBound(word string, sizes map[string]int) int {
	n := len(word)
	for _, m := range varRef.FindAllStringSubmatchIndex(word, -1) {
		braced, closed := m[2] >= 0, m[6] >= 0
		if !braced || closed {
			n -= m[1] - m[0] // the reference itself is replaced
		}
		n += sizes[word[m[4]:m[5]]]
		if n > maxExpansionWork {
			return n
		}
	}
	return n
}

// expansionBudget checks, before any expansion, that the ARG and ENV values
// and the words the image model expands stay within maxExpandedWord each
// and maxExpansionWork together. It tracks each variable's longest possible
// value over the file (stages share the map: an over-estimate, never an
// under-estimate) without building any of them. It returns the work counted
// and, over a bound, the error at the line that crossed it.
func expansionBudget(path string, metaArgs []instructions.ArgCommand, stages []instructions.Stage) (work int, err error) {
	sizes := map[string]int{}
	check := func(word string, loc []parser.Range) (int, error) {
		n := expansionBound(word, sizes)
		work += n
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		switch {
		case n > maxExpandedWord:
			return n, source.Refused(path, line, "expanding its variables could make a value of up to %d bytes (the limit is %d): a variable that doubles itself (ENV X=${X}${X}) is not expanded", n, maxExpandedWord)
		case work > maxExpansionWork:
			return n, source.Refused(path, line, "expanding the variables up to here could produce up to %d bytes in all (the limit is %d): not expanded", work, maxExpansionWork)
		}
		return n, nil
	}
	assign := func(name string, n int) {
		if n > sizes[name] {
			sizes[name] = n
		}
	}
	args := func(c *instructions.ArgCommand) error {
		for _, kv := range c.Args {
			if kv.Value == nil {
				continue
			}
			n, err := check(*kv.Value, c.Location())
			if err != nil {
				return err
			}
			assign(kv.Key, n)
		}
		return nil
	}
	for i := range metaArgs {
		if err := args(&metaArgs[i]); err != nil {
			return work, err
		}
	}
	for _, st := range stages {
		if _, err := check(st.BaseName, st.Location); err != nil {
			return work, err
		}
		for _, cmd := range st.Commands {
			switch c := cmd.(type) {
			case *instructions.ArgCommand:
				if err := args(c); err != nil {
					return work, err
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					n, err := check(kv.Value, c.Location())
					if err != nil {
						return work, err
					}
					assign(kv.Key, n)
				}
			default:
				// Other instructions' words (WORKDIR, USER, LABEL, ...) may be
				// expanded by the image model: count the whole line.
				if code, ok := cmd.(interface{ String() string }); ok {
					if _, err := check(code.String(), cmd.Location()); err != nil {
						return work, err
					}
				}
			}
		}
	}
	return work, nil
}

// expandable says whether word's expansion with env (NAME=value entries)
// stays within maxExpandedWord: the image model's own guard, for values
// the parse-time budget did not see (build args, a base image's ENV).
func expandable(word string, env []string) bool {
	if strings.IndexByte(word, '$') < 0 {
		return true
	}
	sizes := make(map[string]int, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			sizes[k] = len(v)
		}
	}
	return expansionBound(word, sizes) <= maxExpandedWord
}
