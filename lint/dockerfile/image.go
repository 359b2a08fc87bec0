package dockerfile

import (
	"maps"
	"slices"
	"strings"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/docker-heal/docker-heal/lint/source"
)

// Healthcheck is a probe as Docker stores it. Test follows the engine's
// convention: ["CMD", args...], ["CMD-SHELL", script], ["NONE"], or empty
// (inherit the image's test). Zero durations mean "not set" (engine default).
type Healthcheck struct {
	Test          []string
	Interval      time.Duration
	Timeout       time.Duration
	StartPeriod   time.Duration
	StartInterval time.Duration
	Retries       int
	RetriesSet    bool
	// Disabled is true for HEALTHCHECK NONE, compose `disable: true` or test ["NONE"].
	Disabled bool
	// RunShell is the shell a CMD-SHELL test runs under: the image's SHELL,
	// as the engine uses it; nil means /bin/sh -c.
	RunShell []string
	// Pos is where the healthcheck is written (HEALTHCHECK line, compose key).
	Pos Position
}

// Engine defaults, used where a healthcheck leaves a value unset.
const (
	DefaultHealthInterval = 30 * time.Second
	DefaultHealthTimeout  = 30 * time.Second
	DefaultHealthRetries  = 3
)

// Shell reports whether the probe runs through /bin/sh (CMD-SHELL).
func (h *Healthcheck) Shell() bool {
	return h != nil && len(h.Test) > 0 && strings.EqualFold(h.Test[0], "CMD-SHELL")
}

// Argv is the probe's command: the exec arguments, or ["/bin/sh","-c",script].
func (h *Healthcheck) Argv() []string {
	if h == nil || len(h.Test) == 0 {
		return nil
	}
	switch strings.ToUpper(h.Test[0]) {
	case "CMD":
		return h.Test[1:]
	case "CMD-SHELL":
		if len(h.RunShell) > 0 {
			return append(append([]string{}, h.RunShell...), strings.Join(h.Test[1:], " "))
		}
		return []string{"/bin/sh", "-c", strings.Join(h.Test[1:], " ")}
	case "NONE":
		return nil
	}
	return h.Test
}

// Base classifies the root image an image is built on, as far as the probe
// and the shell are concerned.
type Base string

const (
	BaseUnknown    Base = ""
	BaseScratch    Base = "scratch"
	BaseDistroless Base = "distroless" // no shell, no package manager
	BaseAlpine     Base = "alpine"     // busybox: sh and wget, no curl unless installed
	BaseOther      Base = "other"      // a full distribution or an image we cannot see into
)

// ImageConfig is what an image gives a container: from a local Dockerfile
// (compose services that build, replayed as BuildKit does), or from an image
// lookup (the engine's image inspect, the registry's config blob).
type ImageConfig struct {
	// Source names where it came from: a Dockerfile path, or an image reference.
	Source     string
	Entrypoint []string
	Cmd        []string
	// EntrypointShell and CmdShell are set for a Dockerfile's shell-form
	// instruction: the builder prepended Shell (or the OS's default shell).
	EntrypointShell bool
	CmdShell        bool
	Shell           []string // SHELL; nil means the OS's default (DefaultShell)
	Healthcheck     *Healthcheck
	User            string
	WorkingDir      string
	Env             []string
	Labels          map[string]string
	OS              string
	Base            Base
	// BaseRef is the root image reference the Dockerfile builds FROM, ARGs
	// expanded ("gcr.io/distroless/static:nonroot"); "" when not from a Dockerfile.
	BaseRef string
	// UserAdded is set when a RUN of the Dockerfile creates a user (useradd,
	// adduser): the image provides an unprivileged account of its own.
	UserAdded bool
	// StepDown names the tool a RUN of the Dockerfile installs or runs to
	// drop from root to another user (gosu, su-exec, setpriv); "" if none.
	StepDown string
	// Installed lists tools the Dockerfile installs with a package manager or
	// copies in (curl, wget, tini, ...), by base name.
	Installed map[string]bool
	// Positions of the instructions that set these values, when from a Dockerfile.
	EntrypointPos, CmdPos, UserPos, ShellPos, FromPos Position
	// Unknown lists the fields whose value is not known: a Dockerfile's base
	// image that was not inspected leaves every field it does not set unknown.
	Unknown Field
	// NotInspected names the image whose config was not inspected, for
	// not-checked notes; UnknownWhy says why (UnknownImage, UnknownBuildArg).
	NotInspected string
	UnknownWhy   Unknown
	// Inherited names the inspected base image a Dockerfile's config starts from.
	Inherited string
	// RepoDigest is the digest the reference's tag resolved to in its
	// registry when the engine pulled it (RepoDigests: a multi-platform
	// index's digest); "" when not known. image-unpinned's fix pins to it.
	RepoDigest string
	// files are the files the Dockerfile copies in from its build context,
	// for Follow; nil for an image from a lookup.
	files *imageFiles
}

// Field names one part of an image's config, for ImageConfig.Unknown.
type Field uint16

const (
	FieldEntrypoint Field = 1 << iota
	FieldCmd
	FieldUser
	FieldHealthcheck
	FieldShell
	FieldWorkingDir
	FieldLabels
	FieldOS

	AllFields = FieldEntrypoint | FieldCmd | FieldUser | FieldHealthcheck | FieldShell | FieldWorkingDir | FieldLabels | FieldOS
)

// Knows says whether the field's value is known: always for an inspected
// image, for a Dockerfile when it or an inspected base sets it.
func (c *ImageConfig) Knows(f Field) bool { return c != nil && c.Unknown&f == 0 }

// Unknown says what a rule would need to know to decide, and nobody knows:
// the rule then emits no finding, and the run records a NotChecked instead.
type Unknown int

const (
	// UnknownImage: the config of an image (run, or built FROM) was not
	// looked up, or not found where it was looked up.
	UnknownImage Unknown = iota + 1
	// UnknownBuild: the Dockerfile a build: section names could not be read
	// (not in this checkout, a remote context, a file that does not parse).
	UnknownBuild
	// UnknownBuildArg: the base image is chosen with a --build-arg that has
	// no default.
	UnknownBuildArg
	// UnknownScript: the entrypoint is a script the image got from its base
	// image (or another stage), not from the build context: its text is not here.
	UnknownScript
)

// String names a reason in machine-readable output.
func (u Unknown) String() string {
	switch u {
	case UnknownImage:
		return "image-config-unknown"
	case UnknownBuild:
		return "dockerfile-unread"
	case UnknownBuildArg:
		return "base-image-from-build-arg"
	case UnknownScript:
		return "entrypoint-script-unknown"
	}
	return "unknown"
}

// ImageConfigFromSpec turns an image's config as the engine and registries
// store it (the Docker flavour of the OCI image config) into ours.
func ImageConfigFromSpec(source, os string, cfg *dockerspec.DockerOCIImageConfig) *ImageConfig {
	ic := &ImageConfig{Source: source, OS: os}
	if cfg == nil {
		return ic
	}
	ic.Entrypoint = slices.Clone(cfg.Entrypoint)
	ic.Cmd = slices.Clone(cfg.Cmd)
	ic.Shell = slices.Clone(cfg.Shell)
	ic.User = cfg.User
	ic.WorkingDir = cfg.WorkingDir
	ic.Env = slices.Clone(cfg.Env)
	ic.Labels = maps.Clone(cfg.Labels)
	if hc := cfg.Healthcheck; hc != nil && len(hc.Test) > 0 {
		ic.Healthcheck = &Healthcheck{
			Test:          slices.Clone(hc.Test),
			Interval:      hc.Interval,
			Timeout:       hc.Timeout,
			StartPeriod:   hc.StartPeriod,
			StartInterval: hc.StartInterval,
			Retries:       hc.Retries,
			RetriesSet:    hc.Retries != 0,
			Disabled:      strings.EqualFold(hc.Test[0], "NONE"),
		}
		ic.Healthcheck = withRunShell(ic.Healthcheck, ic.Shell)
	}
	return ic
}

// Position is a place in a source file (source.Position).
type Position = source.Position

// Ignores are the rules silenced inside one file by pragmas (source.Ignores).
type Ignores = source.Ignores

// ParseError is a file that cannot be read or parsed (source.ParseError).
type ParseError = source.ParseError
