package rules

import (
	"path"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// HealthcheckProbeUnavailable finds a probe that cannot run in the image it is
// for: the healthcheck then fails forever and the container is never healthy.
var HealthcheckProbeUnavailable = lint.Rule{
	ID:              "healthcheck-probe-unavailable",
	Severity:        lint.SeverityError,
	Scope:           lint.ScopeDockerfile | lint.ScopeCompose,
	Summary:         "the probe cannot run in the final image: shell-form probe on scratch or distroless, curl/wget on scratch or distroless, curl on alpine that never installs it",
	CheckDockerfile: probeUnavailableDockerfile,
	CheckService:    probeUnavailableService,
}

// The final image's healthcheck is judged against the final image: its root
// base (scratch, distroless, alpine) and the tools its stages install or copy
// in. Images built on anything else are assumed to have a shell, curl and wget
// may or may not be there, and are not judged.
func probeUnavailableDockerfile(r *lint.Report, df *lint.Dockerfile) {
	img := df.Image("")
	if img == nil || img.Healthcheck == nil {
		return
	}
	if msg := probeProblem(img.Healthcheck, img); msg != "" {
		pos := img.Healthcheck.Pos
		r.Add(pos, stageOf(df, pos).Subject(), "the HEALTHCHECK %s", msg)
	}
}

// A compose service is judged when it builds a local Dockerfile (so its image
// is known) and writes its own healthcheck test; an inherited test is
// reported in the Dockerfile.
func probeUnavailableService(r *lint.Report, svc *lint.Service) {
	if !svc.Built || svc.Healthcheck == nil || len(svc.Healthcheck.Test) == 0 {
		return
	}
	if msg := probeProblem(svc.EffectiveHealthcheck(), svc.ImageConfig); msg != "" {
		r.Add(svc.At("healthcheck.test", "healthcheck"), svc.Name, "the healthcheck %s", msg)
	}
}

// bare says whether an image has no shell and no busybox: scratch, and
// distroless except its :debug variants (which carry busybox).
func bare(img *lint.ImageConfig) bool {
	switch img.Base {
	case lint.BaseScratch:
		return true
	case lint.BaseDistroless:
		return !strings.Contains(strings.ToLower(img.BaseRef), ":debug")
	}
	return false
}

// probeProblem says why hc cannot run in img, or "".
func probeProblem(hc *lint.Healthcheck, img *lint.ImageConfig) string {
	if !probing(hc) || img == nil {
		return ""
	}
	base := string(img.Base)
	if bare(img) {
		if hc.Shell() {
			return "is in shell form (CMD-SHELL): it runs /bin/sh, which a " + base + " image does not have, so it always fails; use the exec form with a binary the image contains (CMD [\"/app\", \"healthcheck\"])"
		}
		if _, shell, ok := shellWrapper(hc.Argv()); ok {
			return "runs " + shell + ", which a " + base + " image does not have, so it always fails; use the exec form with a binary the image contains"
		}
	}
	for _, tool := range probeTools(hc) {
		if img.Installed[tool] {
			continue
		}
		switch {
		case bare(img) && (tool == "curl" || tool == "wget"):
			return "runs " + tool + ", which a " + base + " image does not have, so it always fails; COPY a static " + tool + " in, or probe with the app's own binary (CMD [\"/app\", \"healthcheck\"])"
		case img.Base == lint.BaseAlpine && (tool == "curl" || tool == "bash"):
			alt := "use busybox wget (wget -q --spider http://localhost:PORT/health)"
			if tool == "bash" {
				alt = "use sh"
			}
			return "runs " + tool + ", which alpine does not have unless installed and this image never installs it: RUN apk add --no-cache " + tool + ", or " + alt
		}
	}
	return ""
}

// probeTools lists the programs a probe runs, by base name: the exec-form
// program, or every command of a shell script and its substitutions.
func probeTools(hc *lint.Healthcheck) []string {
	argv := hc.Argv()
	script, _, ok := shellWrapper(argv)
	if !ok {
		if words := commandWords(argv); len(words) > 0 {
			return []string{path.Base(words[0])}
		}
		return nil
	}
	var out []string
	seen := map[string]bool{}
	scripts := []string{script}
	for i := 0; i < len(scripts) && i < 32; i++ {
		s := parseShell(scripts[i])
		scripts = append(scripts, s.substitutions...)
		for _, c := range s.commands {
			if words := commandWords(c.words); len(words) > 0 {
				tool := path.Base(words[0])
				if !seen[tool] {
					seen[tool] = true
					out = append(out, tool)
				}
			}
		}
	}
	return out
}
