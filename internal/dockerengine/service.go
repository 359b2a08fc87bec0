package dockerengine

import (
	"context"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/bounded"
	"github.com/docker-heal/docker-heal/lint"
)

// Services returns the audit description of containers: the named ones (an
// unknown name is an error), or every running container when names is empty.
// Images are inspected once each; an image gone since the container was
// created leaves ImageConfig nil. Containers that vanish meanwhile are skipped.
func (e *Engine) Services(ctx context.Context, names []string, concurrency int) ([]*lint.Service, error) {
	list, err := e.List(ctx, heal.ListOptions{All: len(names) > 0})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	asked := ids // what to call a container that vanishes before its inspect
	if len(names) > 0 {
		// Named as status and reset name them (heal.Match).
		ids, asked = nil, nil
		for _, n := range names {
			i, err := heal.Match(list, n, heal.ContainerKey)
			if err != nil {
				return nil, err
			}
			if i < 0 {
				return nil, &NotFoundError{Name: n, Endpoint: e.Endpoint()}
			}
			if !slices.Contains(ids, list[i].ID) {
				ids, asked = append(ids, list[i].ID), append(asked, n)
			}
		}
	}
	raw, err := e.inspectMany(ctx, ids, concurrency)
	if err != nil {
		return nil, err
	}
	var inspected []container.InspectResponse
	for i, r := range raw {
		if r == nil {
			if len(names) > 0 {
				return nil, &NotFoundError{Name: asked[i], Endpoint: e.Endpoint()}
			}
			continue
		}
		inspected = append(inspected, *r)
	}
	images, err := e.inspectImages(ctx, inspected, concurrency)
	if err != nil {
		return nil, err
	}
	out := make([]*lint.Service, 0, len(inspected))
	for _, ins := range inspected {
		out = append(out, ContainerService(ins, images[ins.Image]))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// NotFoundError is a container named on the command line that the engine does not know.
type NotFoundError struct {
	Name     string
	Endpoint string
}

func (e *NotFoundError) Error() string {
	return "no such container: " + e.Name + " (on " + e.Endpoint + "; see docker ps -a)"
}

// inspectImages inspects each distinct image (by ID) once, in parallel.
func (e *Engine) inspectImages(ctx context.Context, containers []container.InspectResponse, concurrency int) (map[string]*image.InspectResponse, error) {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	var ids []string
	seen := map[string]bool{}
	for _, c := range containers {
		if c.Image != "" && !seen[c.Image] {
			seen[c.Image] = true
			ids = append(ids, c.Image)
		}
	}
	results := make([]*image.InspectResponse, len(ids))
	errs := make([]error, len(ids))
	_ = bounded.Each(ctx, concurrency, len(ids), func(_ context.Context, i int) error {
		cctx, cancel := context.WithTimeout(ctx, e.callTimeout())
		defer cancel()
		res, err := e.api.ImageInspect(cctx, ids[i])
		switch {
		case err == nil:
			results[i] = &res.InspectResponse
		case IsNotFound(err):
			// Removed (docker rmi -f) while a container still uses it.
		default:
			errs[i] = e.wrap(ctx, err, "inspecting image "+ids[i])
		}
		return nil
	})
	if err := ctx.Err(); err != nil {
		return nil, e.wrap(ctx, err, "inspecting images")
	}
	out := map[string]*image.InspectResponse{}
	for i, id := range ids {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out[id] = results[i]
	}
	return out, nil
}

// ContainerService describes a container for the runtime (R) rules: what the
// engine reports it runs with, and what its image gives. img may be nil.
func ContainerService(ins container.InspectResponse, img *image.InspectResponse) *lint.Service {
	svc := &lint.Service{
		Kind: lint.KindContainer,
		Name: strings.TrimPrefix(ins.Name, "/"),
	}
	if img != nil {
		svc.ImageConfig = imageConfig(img)
		// Name the image as the container was created with it: a tag can have
		// moved to a newer build since, leaving this image untagged.
		if ins.Config != nil && ins.Config.Image != "" {
			svc.ImageConfig.Source = ins.Config.Image
		}
	}
	if ins.Path != "" {
		svc.Entrypoint = []string{ins.Path}
		svc.Command = append([]string{}, ins.Args...)
	}
	if cfg := ins.Config; cfg != nil {
		svc.Image = cfg.Image
		svc.User = cfg.User
		svc.Labels = cfg.Labels
		svc.Healthcheck = healthcheck(cfg.Healthcheck)
	}
	if svc.Image == "" {
		svc.Image = ins.Image
	}
	if hc := ins.HostConfig; hc != nil {
		svc.Init = hc.Init
		svc.Privileged = hc.Privileged
		svc.NetworkMode = string(hc.NetworkMode)
		svc.CapAdd = append([]string(nil), hc.CapAdd...)
		svc.PidMode = string(hc.PidMode)
		svc.IpcMode = string(hc.IpcMode)
		svc.UsernsMode = string(hc.UsernsMode)
		svc.Restart = lint.RestartPolicy{Name: string(hc.RestartPolicy.Name), MaxRetries: hc.RestartPolicy.MaximumRetryCount}
		if svc.Restart.Name == "" {
			svc.Restart.Name = "no" // what the engine does without a policy
		}
		svc.MemLimit = hc.Memory
		svc.MemSwap = hc.MemorySwap
		svc.MemReserve = hc.MemoryReservation
		svc.CPUs = cpus(hc.Resources)
		if hc.PidsLimit != nil {
			svc.PidsLimit = *hc.PidsLimit
		}
		svc.LogDriver = hc.LogConfig.Type
		svc.LogOptions = hc.LogConfig.Config
		for _, u := range hc.Ulimits {
			if u == nil {
				continue
			}
			if svc.Ulimits == nil {
				svc.Ulimits = map[string]lint.Ulimit{}
			}
			svc.Ulimits[u.Name] = lint.Ulimit{Soft: u.Soft, Hard: u.Hard}
		}
	}
	for _, m := range ins.Mounts {
		src := m.Source
		if m.Type == "volume" && m.Name != "" {
			src = m.Name
		}
		svc.Mounts = append(svc.Mounts, lint.Mount{Type: string(m.Type), Source: src, Target: m.Destination})
	}
	if hc := ins.HostConfig; hc != nil {
		var tmpfs []string
		for target := range hc.Tmpfs {
			tmpfs = append(tmpfs, target)
		}
		sort.Strings(tmpfs)
		for _, target := range tmpfs {
			svc.Mounts = append(svc.Mounts, lint.Mount{Type: "tmpfs", Target: target})
		}
	}
	labels := svc.Labels
	svc.Project = labels[heal.LabelComposeProject]
	svc.Swarm = labels[heal.LabelSwarmTask] != ""
	if files := labels[heal.LabelComposeConfigFiles]; files != "" {
		first, _, _ := strings.Cut(files, ",")
		svc.Pos = lint.Position{File: strings.TrimSpace(first)}
	}
	if ig := labels[heal.LabelIgnore]; ig != "" {
		for _, id := range strings.Split(ig, ",") {
			if id = strings.TrimSpace(id); id != "" {
				svc.IgnoreRules = append(svc.IgnoreRules, id)
			}
		}
	}
	return svc
}

// cpus reads --cpus (NanoCPUs) or the older --cpu-quota/--cpu-period pair.
func cpus(r container.Resources) float64 {
	if r.NanoCPUs > 0 {
		return float64(r.NanoCPUs) / 1e9
	}
	if r.CPUQuota > 0 {
		period := r.CPUPeriod
		if period == 0 {
			period = 100000 // the kernel's default CFS period, in microseconds
		}
		return float64(r.CPUQuota) / float64(period)
	}
	return 0
}

func imageConfig(img *image.InspectResponse) *lint.ImageConfig {
	ic := lint.ImageConfigFromSpec(imageRef(img), img.Os, img.Config)
	ic.EntrypointShell = shellForm(ic.Entrypoint)
	ic.CmdShell = shellForm(ic.Cmd)
	return ic
}

// imageRef names an image the way a user would: its first tag, else its ID.
func imageRef(img *image.InspectResponse) string {
	if len(img.RepoTags) > 0 {
		return img.RepoTags[0]
	}
	return img.ID
}

// shellForm recognises what the builder stores for a shell-form instruction.
func shellForm(argv []string) bool {
	if len(argv) < 2 || argv[1] != "-c" {
		return false
	}
	switch path.Base(argv[0]) {
	case "sh", "bash", "ash", "dash":
		return true
	}
	return false
}

func healthcheck(hc *container.HealthConfig) *lint.Healthcheck {
	if hc == nil {
		return nil
	}
	out := &lint.Healthcheck{
		Test:          append([]string{}, hc.Test...),
		Interval:      hc.Interval,
		Timeout:       hc.Timeout,
		StartPeriod:   hc.StartPeriod,
		StartInterval: hc.StartInterval,
		Retries:       hc.Retries,
		RetriesSet:    hc.Retries != 0,
	}
	out.Disabled = len(hc.Test) > 0 && strings.EqualFold(hc.Test[0], "NONE")
	return out
}
