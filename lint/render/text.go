package render

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/docker-heal/docker-heal/lint"
)

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

func sevColor(s lint.Severity) string {
	switch s {
	case lint.SeverityError:
		return "\x1b[31m"
	case lint.SeverityWarning:
		return "\x1b[33m"
	}
	return "\x1b[36m"
}

type textRenderer struct{ opts Options }

func (r textRenderer) Render(w io.Writer, res *lint.Result) error {
	opts := r.opts
	paint := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}
	lines := res.Findings
	if !opts.Verbose {
		lines = foldInfo(res.Findings)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	group := "\x00"
	for _, f := range lines {
		// A file's findings under its name; a container's (no file) under the container's.
		name := f.Pos.File
		if name == "" {
			name = f.Subject
		}
		if name != group {
			if group != "\x00" {
				fmt.Fprintln(tw)
			}
			group = name
			fmt.Fprintln(tw, paint(ansiBold, lint.CleanText(name)))
		}
		loc := ""
		if f.Pos.Line > 0 {
			loc = fmt.Sprintf("%d:%d", f.Pos.Line, max(f.Pos.Col, 1))
		}
		subject := f.Subject
		if f.Service != "" && f.Service != f.Subject {
			subject += " (service " + f.Service + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s: %s\n", loc, paint(sevColor(f.Severity), f.Severity.String()), paint(ansiDim, lint.CleanText(f.Rule)), lint.CleanText(subject), lint.CleanText(f.Message))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := Summarise(res.Findings, len(res.Files))
	label := opts.FileLabel
	if label == "" {
		label = "files"
	}
	if len(res.Findings) > 0 {
		fmt.Fprintln(w)
		if err := writeRuleCounts(w, res.Findings); err != nil {
			return err
		}
	}
	if err := writeNotChecked(w, res, opts.Verbose); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s: %s, %s, %d info\n", count(s.Files, strings.TrimSuffix(label, "s")), count(s.Error, "error"), count(s.Warning, "warning"), s.Info)
	return err
}

// writeNotChecked writes one line per reason the rules could not decide
// (never findings, never counted by --fail-on); --verbose lists each check.
func writeNotChecked(w io.Writer, res *lint.Result, verbose bool) error {
	groups := res.NotCheckedSummary()
	if len(groups) == 0 {
		return nil
	}
	var b strings.Builder
	for _, g := range groups {
		b.WriteString("Not checked: " + lint.CleanText(g.Text) + "\n")
		if !verbose {
			continue
		}
		for _, n := range res.NotChecked {
			if n.Reason != g.Reason {
				continue
			}
			where := n.Pos.String()
			if where == "" {
				where = n.Subject
			}
			fmt.Fprintf(&b, "  %s  %s  %s: %s\n", lint.CleanText(where), lint.CleanText(n.Rule), lint.CleanText(n.Subject), lint.CleanText(n.What))
		}
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeRuleCounts writes how many findings each rule gave, most first (then
// by id), with the highest severity among them, so the noisiest rules show
// at a glance.
func writeRuleCounts(w io.Writer, fs []lint.Finding) error {
	type ruleCount struct {
		id  string
		n   int
		sev lint.Severity
	}
	byID := map[string]*ruleCount{}
	var counts []*ruleCount
	for _, f := range fs {
		c := byID[f.Rule]
		if c == nil {
			c = &ruleCount{id: f.Rule}
			byID[f.Rule] = c
			counts = append(counts, c)
		}
		c.n++
		c.sev = max(c.sev, f.Severity)
	}
	sort.Slice(counts, func(i, j int) bool {
		if counts[i].n != counts[j].n {
			return counts[i].n > counts[j].n
		}
		return counts[i].id < counts[j].id
	})
	width := len(strconv.Itoa(counts[0].n))
	var b strings.Builder
	b.WriteString("Findings by rule:\n")
	for _, c := range counts {
		fmt.Fprintf(&b, "  %*d  %s (%s)\n", width, c.n, lint.CleanText(c.id), c.sev)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// foldInfo folds the info-level findings of one rule with the same message
// on several subjects of one file into one line, at the first one's place,
// naming the subjects and, for the others, their own lines (a reader who
// opens the first line must not think the rest are there too). Findings whose
// messages differ (another image, another value) stay on lines of their own:
// "(also on x)" under one message would claim it for x. A warning or an error
// is always shown on its own, and so are containers' findings (they have no
// file). fs is sorted; the result keeps that order.
func foldInfo(fs []lint.Finding) []lint.Finding {
	type key struct{ file, rule, message string }
	groups := map[key][]int{}
	keyOf := func(f lint.Finding) key { return key{f.Pos.File, f.Rule, f.Message} }
	for i, f := range fs {
		if f.Severity == lint.SeverityInfo && f.Pos.File != "" {
			groups[keyOf(f)] = append(groups[keyOf(f)], i)
		}
	}
	out := make([]lint.Finding, 0, len(fs))
	for i, f := range fs {
		g := groups[keyOf(f)]
		if f.Severity != lint.SeverityInfo || f.Pos.File == "" || len(g) < 2 {
			out = append(out, f)
			continue
		}
		if g[0] != i {
			continue // folded into the group's first line
		}
		subjects := make([]string, 0, len(g))
		for _, j := range g {
			s := fs[j]
			if s.Pos.Line != f.Pos.Line {
				subjects = append(subjects, fmt.Sprintf("%s (line %d)", s.Subject, s.Pos.Line))
			} else {
				subjects = append(subjects, s.Subject)
			}
		}
		folded := f
		folded.Service = ""
		folded.Subject = strings.Join(subjects, ", ")
		out = append(out, folded)
	}
	return out
}

func count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
