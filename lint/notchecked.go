package lint

import (
	"fmt"
	"sort"
	"strings"
)

// NotChecked is one check a rule did not run on one subject, and why.
type NotChecked struct {
	Rule    string
	Subject string
	Pos     Position
	Reason  Unknown
	// What names the unknown: an image reference, a Dockerfile, a script.
	What string
	// Dockerfile is set when the subject is a Dockerfile's stage, not a
	// service or container.
	Dockerfile bool
}

// NotCheckedGroup is one line of the run's not-checked summary: the checks
// not run for one reason.
type NotCheckedGroup struct {
	Reason   Unknown
	Checks   int
	Subjects int
	// Text is the line: "3 checks not run on 2 services: image configs
	// unknown (no engine answered); run with --image-config registry".
	Text string
}

// SummariseNotChecked groups what was not checked by reason, in the order
// of Unknown; imageWhy says why image configs are unknown in this run ("no
// engine answered"), and imageHint what would make them known.
func SummariseNotChecked(ns []NotChecked, imageWhy, imageHint string) []NotCheckedGroup {
	type subject struct {
		file, subject string
		dockerfile    bool
	}
	byReason := map[Unknown][]NotChecked{}
	for _, n := range ns {
		byReason[n.Reason] = append(byReason[n.Reason], n)
	}
	reasons := make([]Unknown, 0, len(byReason))
	for r := range byReason {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool { return reasons[i] < reasons[j] })
	var out []NotCheckedGroup
	for _, reason := range reasons {
		group := byReason[reason]
		subjects := map[subject]bool{}
		services, dockerfiles := 0, 0
		for _, n := range group {
			s := subject{n.Pos.File, n.Subject, n.Dockerfile}
			if n.Dockerfile {
				s.subject = "" // one Dockerfile, whatever the stage
			}
			if !subjects[s] {
				subjects[s] = true
				if n.Dockerfile {
					dockerfiles++
				} else {
					services++
				}
			}
		}
		var on []string
		if services > 0 {
			on = append(on, count(services, "service"))
		}
		if dockerfiles > 0 {
			on = append(on, count(dockerfiles, "Dockerfile"))
		}
		checks := "checks"
		if len(group) == 1 {
			checks = "check"
		}
		text := fmt.Sprintf("%d %s not run on %s: %s", len(group), checks, strings.Join(on, " and "), reasonText(reason, imageWhy, imageHint))
		out = append(out, NotCheckedGroup{Reason: reason, Checks: len(group), Subjects: len(subjects), Text: text})
	}
	return out
}

func reasonText(r Unknown, imageWhy, imageHint string) string {
	switch r {
	case UnknownImage:
		s := "image configs unknown"
		if imageWhy != "" {
			s += " (" + imageWhy + ")"
		}
		if imageHint != "" {
			s += "; " + imageHint
		}
		return s
	case UnknownBuild:
		return "the Dockerfile a build: section names could not be read (not in this checkout, a remote context, or it does not parse)"
	case UnknownBuildArg:
		return "the base image is chosen with a --build-arg that has no default"
	case UnknownScript:
		return "the entrypoint is a script from a base image, not from the build context, so what it runs is unknown"
	}
	return "unknown"
}

// ImageLookupExplainer is what an ImageResolver may also tell: why the
// images it did not find are unknown ("no engine answered", "--image-config
// off") and what would make them known ("run with --image-config registry").
type ImageLookupExplainer interface {
	ExplainUnknown() (why, hint string)
}

func count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
