package lint

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/errdefs"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// compose-go stops at the first inconsistency it meets while ranging over a
// map of services, so which of several errors it reports changes from run
// to run (and SARIF alerts flap). When it rejects a project, the project is
// loaded again without that check and the same checks run here, in service
// order, each at its line: every error is reported, always in one order.

// ProjectErrors are the problems of one compose project, in a stable order.
type ProjectErrors struct {
	Errs []*ParseError
	// Incomplete is set when every problem is a reference to something
	// the project does not define (a service with no image, depends_on an
	// undefined service, ...): the file may be a fragment meant to be
	// merged onto another.
	Incomplete bool
}

func (e *ProjectErrors) Error() string {
	var msgs []string
	for _, pe := range e.Errs {
		msgs = append(msgs, pe.Error())
	}
	return strings.Join(msgs, "\n")
}

// Unwrap lets errors.As find the first ParseError.
func (e *ProjectErrors) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, pe := range e.Errs {
		out[i] = pe
	}
	return out
}

// consistencyErrors reloads a project compose-go rejected, without its
// consistency check, and lists every inconsistency. It returns nil when the
// project fails for another reason, or none of the checks here finds the
// problem compose-go found.
func consistencyErrors(ctx context.Context, opts ProjectOptions, ix *positionIndex, files []string) *ProjectErrors {
	po, err := projectOptions(opts, cli.WithLoadOptions(func(o *loader.Options) { o.SkipConsistencyCheck = true }))
	if err != nil {
		return nil
	}
	p, err := loadWithRecover(ctx, po)
	if err != nil {
		return nil
	}
	var out []*ParseError
	add := func(service string, keys []string, format string, args ...any) {
		loc := ix.locate(files, service)
		pos := loc.pos
		for _, k := range keys {
			if kp, ok := loc.keys[k]; ok {
				pos = kp
				break
			}
		}
		out = append(out, &ParseError{Pos: pos, Msg: fmt.Sprintf(format, args...) + ": invalid compose project",
			Service: service, ServiceIgnores: ix.serviceIgnores(files, service)})
	}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		if s.Build == nil && s.Image == "" && s.Provider == nil {
			add(name, nil, "service %q has neither an image nor a build context specified", name)
		}
		for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
			if _, err := p.GetService(dep); err != nil {
				if errors.Is(err, errdefs.ErrDisabled) && !s.DependsOn[dep].Required {
					continue
				}
				add(name, []string{"depends_on." + dep, "depends_on"}, "service %q depends on undefined service %q", name, dep)
			}
		}
		for _, network := range slices.Sorted(maps.Keys(s.Networks)) {
			if _, ok := p.Networks[network]; !ok {
				add(name, []string{"networks." + network, "networks"}, "service %q refers to undefined network %s", name, network)
			}
		}
		if target, ok := strings.CutPrefix(s.NetworkMode, types.ServicePrefix); ok {
			if _, err := p.GetServices(target); err != nil {
				add(name, []string{"network_mode"}, "service %q uses network_mode service:%s, which is not defined", name, target)
			}
		}
		for _, v := range s.Volumes {
			if _, ok := p.Volumes[v.Source]; v.Type == types.VolumeTypeVolume && v.Source != "" && !ok {
				add(name, []string{"volumes"}, "service %q refers to undefined volume %s", name, v.Source)
			}
		}
		for _, c := range s.Configs {
			if _, ok := p.Configs[c.Source]; !ok {
				add(name, []string{"configs." + c.Source, "configs"}, "service %q refers to undefined config %s", name, c.Source)
			}
		}
		for _, sec := range s.Secrets {
			if _, ok := p.Secrets[sec.Source]; !ok {
				add(name, []string{"secrets." + sec.Source, "secrets"}, "service %q refers to undefined secret %s", name, sec.Source)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &ProjectErrors{Errs: out, Incomplete: true}
}
