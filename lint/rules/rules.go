// Package rules holds every lint rule, one file per rule, and the one
// explicit registry below.
package rules

import "github.com/docker-heal/docker-heal/lint"

// All returns every rule, in the order `docker heal rules` lists them.
func All() []lint.Rule {
	return []lint.Rule{
		ShellFormCmd,
		ShellWrapperNoExec,
		InitMissing,
		DuplicateInstruction,
		HealthcheckMissing,
		HealthcheckDisabled,
		HealthcheckCurlNoFail,
		HealthcheckTiming,
		HealthcheckProbeUnavailable,
		DependsOnNoHealthcheck,
		StartupSleep,
		UnhealthyNotActedOn,
		RestartPolicyMissing,
		RestartAlways,
		RestartOnFailureUnbounded,
		StopGracePeriodShort,
		MemoryLimitMissing,
		MemorySwapUnlimited,
		CPULimitMissing,
		PidsLimitMissing,
		ReservationExceedsLimit,
		LogRotationMissing,
		UlimitNofileLow,
		UlimitSoftAboveHard,
		Privileged,
		DockerSocketMounted,
		CapAddDangerous,
		HostNamespace,
		UserRoot,
		DefaultCredentials,
		PortPublishedAllInterfaces,
		ImageUnpinned,
		UnsetVariable,
		InvalidFile,
	}
}
