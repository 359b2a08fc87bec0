package lint

import (
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/docker-heal/docker-heal/lint/dockerfile"
)

// The Dockerfile loader and the image model it builds live in lint/dockerfile;
// lint re-exports them so rules and commands keep one import.

type (
	Dockerfile        = dockerfile.Dockerfile
	Stage             = dockerfile.Stage
	Instruction       = dockerfile.Instruction
	ImageConfig       = dockerfile.ImageConfig
	Healthcheck       = dockerfile.Healthcheck
	Base              = dockerfile.Base
	Field             = dockerfile.Field
	Unknown           = dockerfile.Unknown
	ScriptFacts       = dockerfile.ScriptFacts
	ScriptStatus      = dockerfile.ScriptStatus
	SourceContentFile = dockerfile.SourceContentFile
)

// Engine defaults, used where a healthcheck leaves a value unset.
const (
	DefaultHealthInterval = dockerfile.DefaultHealthInterval
	DefaultHealthTimeout  = dockerfile.DefaultHealthTimeout
	DefaultHealthRetries  = dockerfile.DefaultHealthRetries
)

const (
	BaseUnknown    = dockerfile.BaseUnknown
	BaseScratch    = dockerfile.BaseScratch
	BaseDistroless = dockerfile.BaseDistroless
	BaseAlpine     = dockerfile.BaseAlpine
	BaseOther      = dockerfile.BaseOther
)

const (
	FieldEntrypoint  = dockerfile.FieldEntrypoint
	FieldCmd         = dockerfile.FieldCmd
	FieldUser        = dockerfile.FieldUser
	FieldHealthcheck = dockerfile.FieldHealthcheck
	FieldShell       = dockerfile.FieldShell
	FieldWorkingDir  = dockerfile.FieldWorkingDir
	FieldLabels      = dockerfile.FieldLabels
	FieldOS          = dockerfile.FieldOS
	AllFields        = dockerfile.AllFields
)

const (
	UnknownImage    = dockerfile.UnknownImage
	UnknownBuild    = dockerfile.UnknownBuild
	UnknownBuildArg = dockerfile.UnknownBuildArg
	UnknownScript   = dockerfile.UnknownScript
)

const (
	NotAScript    = dockerfile.NotAScript
	ScriptKnown   = dockerfile.ScriptKnown
	ScriptUnknown = dockerfile.ScriptUnknown
)

// LoadDockerfile reads and parses a Dockerfile (dockerfile.Load).
func LoadDockerfile(path string) (*Dockerfile, error) { return dockerfile.Load(path) }

// ParseDockerfile parses Dockerfile source (dockerfile.Parse).
func ParseDockerfile(path string, src []byte) (*Dockerfile, error) {
	return dockerfile.Parse(path, src)
}

// ClassifyBase classifies a base image reference (dockerfile.ClassifyBase).
func ClassifyBase(ref string) Base { return dockerfile.ClassifyBase(ref) }

// DefaultShell is the shell an OS's images default to (dockerfile.DefaultShell).
func DefaultShell(os string) []string { return dockerfile.DefaultShell(os) }

// IsOSBase reports an OS base image (dockerfile.IsOSBase).
func IsOSBase(ref string) bool { return dockerfile.IsOSBase(ref) }

// OfficialImageConfig is the known config of an official image (dockerfile.OfficialImageConfig).
func OfficialImageConfig(ref string) *ImageConfig { return dockerfile.OfficialImageConfig(ref) }

// ImageConfigFromSpec turns an engine or registry image config into ours
// (dockerfile.ImageConfigFromSpec).
func ImageConfigFromSpec(source, os string, cfg *dockerspec.DockerOCIImageConfig) *ImageConfig {
	return dockerfile.ImageConfigFromSpec(source, os, cfg)
}
