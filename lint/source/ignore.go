// Package source holds what lint knows about places in source files: positions
// and the ignore pragmas written in them. It imports nothing of lint, so the
// loaders (lint/dockerfile) and lint itself share it.
package source

import (
	"regexp"
	"strings"
)

// Ignores are the rules silenced inside one file by pragmas:
//
//	# docker-heal ignore=ID[,ID] [reason]         the next instruction or compose key
//	# docker-heal global ignore=ID[,ID] [reason]  the whole file
type Ignores struct {
	Global map[string]bool
	Ranges []IgnoreRange
}

// IgnoreRange silences Rules on lines From..To (inclusive).
type IgnoreRange struct {
	From, To int
	Rules    map[string]bool
}

// Silenced reports whether rule is ignored at line of this file.
func (ig *Ignores) Silenced(rule string, line int) bool {
	if ig == nil {
		return false
	}
	if ig.Global[rule] || ig.Global["all"] {
		return true
	}
	for _, r := range ig.Ranges {
		if line >= r.From && line <= r.To && (r.Rules[rule] || r.Rules["all"]) {
			return true
		}
	}
	return false
}

var pragmaRe = regexp.MustCompile(`^\s*#\s*docker-heal\s+(global\s+)?ignore=([A-Za-z0-9_,\-]+)`)

// Pragma is one ignore comment found at Line.
type Pragma struct {
	Line   int
	Global bool
	Rules  map[string]bool
}

// ScanPragmas finds the ignore comments of a file's text, 1-based lines.
func ScanPragmas(src []byte) []Pragma {
	if !strings.Contains(string(src), "docker-heal") {
		return nil
	}
	var out []Pragma
	for i, line := range strings.Split(string(src), "\n") {
		m := pragmaRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		rules := map[string]bool{}
		for _, id := range strings.Split(m[2], ",") {
			if id = strings.TrimSpace(id); id != "" {
				rules[id] = true
			}
		}
		out = append(out, Pragma{Line: i + 1, Global: m[1] != "", Rules: rules})
	}
	return out
}

// BuildIgnores turns pragmas into ranges: a local pragma covers the first
// span (instruction or key) that starts after it. spans are [start,end] line
// pairs in file order.
func BuildIgnores(pragmas []Pragma, spans [][2]int) *Ignores {
	ig := &Ignores{Global: map[string]bool{}}
	for _, p := range pragmas {
		if p.Global {
			for id := range p.Rules {
				ig.Global[id] = true
			}
			continue
		}
		for _, s := range spans {
			if s[0] > p.Line {
				ig.Ranges = append(ig.Ranges, IgnoreRange{From: s[0], To: s[1], Rules: p.Rules})
				break
			}
		}
	}
	return ig
}

// Rules lists every rule id named by the pragmas, so unknown ids can be reported.
func (ig *Ignores) Rules() []string {
	if ig == nil {
		return nil
	}
	var ids []string
	for id := range ig.Global {
		ids = append(ids, id)
	}
	for _, r := range ig.Ranges {
		for id := range r.Rules {
			ids = append(ids, id)
		}
	}
	return ids
}
