package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker-heal/docker-heal/internal/humanize"
	"github.com/docker-heal/docker-heal/lint"
)

// HealthcheckTiming finds healthcheck timings that do not do what they seem
// to: retries below 1, an interval or timeout under a second, or so slow a
// cycle that a hung app goes unnoticed for more than ten minutes.
var HealthcheckTiming = lint.Rule{
	ID:              "healthcheck-timing",
	Severity:        lint.SeverityWarning,
	Scope:           lint.ScopeDockerfile | lint.ScopeCompose | lint.ScopeContainer,
	Summary:         "retries < 1, interval or timeout < 1s, or over 10m to detect that a started app hangs (retries x (interval + timeout); start_period is apart)",
	CheckDockerfile: healthcheckTimingDockerfile,
	CheckService:    healthcheckTimingService,
}

const (
	minHealthDuration = time.Second
	maxTimeToDetect   = 10 * time.Minute
)

// timingProblem is one thing wrong with a healthcheck's timing; key is the
// compose key it is about, for the position.
type timingProblem struct {
	key string
	msg string
}

// timingProblems judges what the engine does with these values (moby
// daemon/health.go): one probe at a time, the interval counted from the end
// of one probe to the start of the next, a probe cut off after the timeout,
// retries <= 0 meaning the default. A timeout as long as the interval is
// therefore fine, and is not reported. Unset values take the engine's
// defaults: interval 30s, timeout 30s, retries 3, start period 0.
func timingProblems(hc *lint.Healthcheck) []timingProblem {
	if !probing(hc) {
		return nil
	}
	var out []timingProblem
	if hc.Interval != 0 && hc.Interval < minHealthDuration {
		out = append(out, timingProblem{"healthcheck.interval", "interval " + humanize.Duration(hc.Interval) + " is under 1s: the probe runs back to back and loads the app; use 5s or more"})
	}
	if hc.Timeout != 0 && hc.Timeout < minHealthDuration {
		out = append(out, timingProblem{"healthcheck.timeout", "timeout " + humanize.Duration(hc.Timeout) + " is under 1s: a probe that is merely slow (a busy app, a cold start of the probe command) counts as a failure; use 1s or more"})
	}
	if hc.RetriesSet && hc.Retries < 1 {
		out = append(out, timingProblem{"healthcheck.retries", "retries " + strconv.Itoa(hc.Retries) + " is treated as the default (3), not as \"fail at once\": set retries to 1 or more"})
	}
	if detect, how := timeToDetect(hc); detect > maxTimeToDetect {
		key := "healthcheck.interval"
		switch {
		case hc.RetriesSet && hc.Retries > lint.DefaultHealthRetries:
			key = "healthcheck.retries"
		case hc.Interval == 0 && hc.Timeout != 0:
			key = "healthcheck.timeout"
		}
		start := ""
		if hc.StartPeriod != 0 {
			// The start period only forgives failures while the app starts;
			// once a probe has passed, it plays no part in noticing a hang.
			start = " (the start_period " + humanize.Duration(hc.StartPeriod) + " is apart: it only covers the start)"
		}
		out = append(out, timingProblem{key, "takes up to " + humanize.Duration(detect) + " to mark a started app that hangs unhealthy (" + how + "), over 10m" + start + ": shorten the interval or timeout, or lower retries"})
	}
	return out
}

// timeToDetect is how long an app that hangs after it started runs before
// the engine marks it unhealthy: retries probes that each hang for the
// timeout and wait an interval before the next. The start period is not part
// of it: it only forgives failures before the first probe passes (moby
// daemon/health.go). how spells the sum out, naming the values that are the
// engine's defaults.
func timeToDetect(hc *lint.Healthcheck) (time.Duration, string) {
	interval, intervalNote := hc.Interval, "interval "
	if interval == 0 {
		interval, intervalNote = lint.DefaultHealthInterval, "default interval "
	}
	timeout, timeoutNote := hc.Timeout, "timeout "
	if timeout == 0 {
		timeout, timeoutNote = lint.DefaultHealthTimeout, "default timeout "
	}
	retries, retriesNote := retriesOf(hc), " retries"
	if !hc.RetriesSet || hc.Retries < 1 {
		retriesNote = " default retries"
	}
	d := time.Duration(retries) * (interval + timeout)
	var how strings.Builder
	fmt.Fprintf(&how, "%d%s x (%s%s + %s%s)", retries, retriesNote, intervalNote, humanize.Duration(interval), timeoutNote, humanize.Duration(timeout))
	return d, how.String()
}

func retriesOf(hc *lint.Healthcheck) int {
	if hc.RetriesSet && hc.Retries > 0 {
		return hc.Retries
	}
	return lint.DefaultHealthRetries
}

// Every HEALTHCHECK instruction is checked: an instruction carries all its
// own timings (a later HEALTHCHECK does not inherit an earlier one's).
func healthcheckTimingDockerfile(r *lint.Report, df *lint.Dockerfile) {
	for _, st := range df.Stages {
		for _, in := range st.Instructions {
			if in.Healthcheck == nil {
				continue
			}
			for _, p := range timingProblems(in.Healthcheck) {
				r.Add(in.Pos, st.Subject(), "HEALTHCHECK %s", p.msg)
			}
		}
	}
}

// A compose service is checked when it writes a healthcheck of its own, on
// the values in force (its own over its image's); an image's healthcheck that
// the service does not touch is reported in the Dockerfile. A container is
// checked on the healthcheck in force.
func healthcheckTimingService(r *lint.Report, svc *lint.Service) {
	if isContainer(svc) {
		for _, p := range timingProblems(svc.EffectiveHealthcheck()) {
			r.Add(svc.Pos, svc.Name, "healthcheck %s", p.msg)
		}
		return
	}
	if svc.Healthcheck == nil || svc.Healthcheck.Disabled {
		return
	}
	hc := svc.EffectiveHealthcheck()
	if hc == nil || hc.Disabled {
		return
	}
	for _, p := range timingProblems(hc) {
		r.Add(svc.At(p.key, "healthcheck"), svc.Name, "healthcheck %s", p.msg)
	}
}
