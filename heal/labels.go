package heal

import "github.com/docker-heal/docker-heal/internal/labels"

// Every label docker heal reads, in one place. The autoheal ones are
// honoured so that people moving from willfarrell/docker-autoheal keep their
// configuration; the compose and swarm ones are written by those tools.
const (
	LabelEnable      = labels.Enable
	LabelMaxRestarts = "docker-heal.max-restarts"
	LabelStopTimeout = "docker-heal.stop-timeout"
	LabelAction      = "docker-heal.action"
	LabelRestartWith = "docker-heal.restart-with"
	// LabelIgnore silences audit rules on a container: docker-heal.ignore=ID,ID (or all).
	LabelIgnore = "docker-heal.ignore"

	LabelAutoheal            = labels.Autoheal
	LabelAutohealStopTimeout = "autoheal.stop.timeout"

	LabelComposeProject     = "com.docker.compose.project"
	LabelComposeService     = "com.docker.compose.service"
	LabelComposeConfigFiles = "com.docker.compose.project.config_files"
	// LabelComposeDependsOn is written by compose v2 on every container as
	// "svc:condition:restart,..." (docker/compose pkg/compose/create.go,
	// prepareLabels); older versions wrote "svc" or "svc:condition".
	LabelComposeDependsOn = "com.docker.compose.depends_on"

	LabelSwarmTask        = "com.docker.swarm.task.id"
	labelKubernetesPrefix = "io.kubernetes."
)
