package rules

import (
	"strconv"
	"time"

	"github.com/docker-heal/docker-heal/internal/humanize"
	"github.com/docker-heal/docker-heal/lint"
)

// HealthcheckTiming finds healthcheck timings that cannot work as meant.
var HealthcheckTiming = lint.Rule{
	ID:              "healthcheck-timing",
	Severity:        lint.SeverityWarning,
	Scope:           lint.ScopeDockerfile | lint.ScopeCompose | lint.ScopeContainer,
	Summary:         "timeout >= interval, retries < 1, interval < 1s or > 5m",
	CheckDockerfile: healthcheckTimingDockerfile,
	CheckService:    healthcheckTimingService,
}

const (
	minHealthInterval = time.Second
	maxHealthInterval = 5 * time.Minute
)

// timingProblem is one thing wrong with a healthcheck's timing; key is the
// compose key it is about, for the position.
type timingProblem struct {
	key string
	msg string
}

// timingProblems applies the engine's defaults (30s interval, 30s timeout) to
// unset values. timeout >= interval is only judged when at least one of the
// two is set, and the default pair itself (30s and 30s, however written) is
// accepted: otherwise every healthcheck would fire, for the engine's choice
// rather than the author's. An interval set alone below 30s is compared with
// the default timeout, because a hung probe then takes longer than the
// interval to fail.
func timingProblems(hc *lint.Healthcheck) []timingProblem {
	if !probing(hc) {
		return nil
	}
	var out []timingProblem
	interval, timeout := hc.Interval, hc.Timeout
	if interval != 0 && interval < minHealthInterval {
		out = append(out, timingProblem{"healthcheck.interval", "interval " + humanize.Duration(interval) + " is under 1s: the probe runs back to back and loads the app; use 5s or more"})
	}
	if interval > maxHealthInterval {
		out = append(out, timingProblem{"healthcheck.interval", "interval " + humanize.Duration(interval) + " is over 5m: a hung app goes unnoticed for " + humanize.Duration(interval*time.Duration(retriesOf(hc))) + "; use 30s to 1m"})
	}
	if interval != 0 || timeout != 0 {
		effInterval, effTimeout := interval, timeout
		intervalNote, timeoutNote := "", ""
		if effInterval == 0 {
			effInterval, intervalNote = lint.DefaultHealthInterval, " (the default)"
		}
		if effTimeout == 0 {
			effTimeout, timeoutNote = lint.DefaultHealthTimeout, " (the default)"
		}
		if effTimeout >= effInterval && !(effTimeout == lint.DefaultHealthTimeout && effInterval == lint.DefaultHealthInterval) {
			key := "healthcheck.timeout"
			if timeout == 0 {
				key = "healthcheck.interval"
			}
			out = append(out, timingProblem{key, "timeout " + humanize.Duration(effTimeout) + timeoutNote + " is not shorter than interval " + humanize.Duration(effInterval) + intervalNote + ": a hung probe is only cut off after the next one is due; set a timeout shorter than the interval"})
		}
	}
	if hc.RetriesSet && hc.Retries < 1 {
		out = append(out, timingProblem{"healthcheck.retries", "retries " + strconv.Itoa(hc.Retries) + " is treated as the default (3), not as \"fail at once\": set retries to 1 or more"})
	}
	return out
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
