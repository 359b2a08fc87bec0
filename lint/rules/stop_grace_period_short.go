package rules

import (
	"path"
	"strings"
	"time"

	"github.com/docker-heal/docker-heal/lint"
)

// StopGracePeriodShort finds databases and queues left at the engine's 10 s
// between the stop signal and SIGKILL: a checkpoint, a flush or a leader
// hand-over cut off by SIGKILL costs crash recovery on the next start, or data.
var StopGracePeriodShort = lint.Rule{
	ID:           "stop-grace-period-short",
	Severity:     lint.SeverityWarning,
	Scope:        lint.ScopeCompose,
	Summary:      "a database or queue is given less than 30 s to shut down before SIGKILL",
	CheckService: stopGracePeriodShort,
	Fix:          "safe",
}

// minStopGrace is the least a stateful server should be given to stop.
const minStopGrace = 30 * time.Second

// statefulKind is one kind of server that writes data it must flush on stop.
type statefulKind struct {
	name string
	// repos are image repositories, registry and library/ prefix removed.
	repos []string
	// dataPaths are where its images keep their data.
	dataPaths []string
	// nameHints are words an image name of one's own (a local build, a
	// private mirror) contains when it is this server.
	nameHints []string
	// servers are the programs that run the server, as a command or
	// entrypoint may name them; anything else is a client or a job.
	servers []string
	// needsPersistence: only a server configured to persist (redis) counts.
	needsPersistence bool
	// loss is what a SIGKILL during shutdown costs this server; "" is the
	// journaling databases' crash recovery on the next start.
	loss string
}

const crashRecovery = "a checkpoint or flush still running is cut off and the next start begins with crash recovery"

func (k *statefulKind) cost() string {
	if k.loss != "" {
		return k.loss
	}
	return crashRecovery
}

var statefulKinds = []statefulKind{
	{name: "PostgreSQL",
		repos:     []string{"postgres", "bitnami/postgresql", "bitnami/postgresql-repmgr", "postgis/postgis", "timescale/timescaledb", "timescale/timescaledb-ha", "pgvector/pgvector", "ankane/pgvector", "supabase/postgres", "cgr.dev/chainguard/postgres"},
		dataPaths: []string{"/var/lib/postgresql/data", "/var/lib/postgresql", "/bitnami/postgresql", "/home/postgres/pgdata"},
		nameHints: []string{"postgres", "postgis", "timescale"},
		servers:   []string{"postgres", "docker-entrypoint.sh", "/opt/bitnami/scripts/postgresql/run.sh", "/opt/bitnami/scripts/postgresql/entrypoint.sh"}},
	{name: "MySQL",
		repos:     []string{"mysql", "mysql/mysql-server", "bitnami/mysql", "percona", "percona/percona-server", "container-registry.oracle.com/mysql/community-server"},
		dataPaths: []string{"/var/lib/mysql", "/bitnami/mysql"},
		nameHints: []string{"mysql", "percona"},
		servers:   []string{"mysqld", "docker-entrypoint.sh", "/opt/bitnami/scripts/mysql/run.sh"}},
	{name: "MariaDB",
		repos:     []string{"mariadb", "bitnami/mariadb", "linuxserver/mariadb", "yobasystems/alpine-mariadb"},
		dataPaths: []string{"/var/lib/mysql", "/bitnami/mariadb"},
		nameHints: []string{"mariadb"},
		servers:   []string{"mariadbd", "mysqld", "docker-entrypoint.sh", "/opt/bitnami/scripts/mariadb/run.sh"}},
	{name: "MongoDB",
		repos:     []string{"mongo", "bitnami/mongodb", "mongodb/mongodb-community-server", "mongodb/mongodb-enterprise-server"},
		dataPaths: []string{"/data/db", "/bitnami/mongodb"},
		nameHints: []string{"mongo"},
		servers:   []string{"mongod", "docker-entrypoint.sh"}},
	{name: "Kafka",
		repos:     []string{"confluentinc/cp-kafka", "confluentinc/cp-server", "bitnami/kafka", "apache/kafka", "apache/kafka-native", "wurstmeister/kafka", "ubuntu/kafka"},
		dataPaths: []string{"/var/lib/kafka/data", "/bitnami/kafka", "/var/lib/kafka"},
		nameHints: []string{"kafka"},
		servers:   []string{"/etc/confluent/docker/run", "kafka-server-start.sh", "/opt/bitnami/scripts/kafka/run.sh", "start-kafka.sh"}},
	{name: "ClickHouse",
		repos:     []string{"clickhouse/clickhouse-server", "clickhouse", "yandex/clickhouse-server", "bitnami/clickhouse"},
		dataPaths: []string{"/var/lib/clickhouse", "/bitnami/clickhouse"},
		nameHints: []string{"clickhouse"},
		servers:   []string{"clickhouse-server", "/entrypoint.sh"}},
	{name: "Elasticsearch",
		repos:     []string{"elasticsearch", "docker.elastic.co/elasticsearch/elasticsearch", "elastic/elasticsearch", "bitnami/elasticsearch"},
		dataPaths: []string{"/usr/share/elasticsearch/data", "/bitnami/elasticsearch/data"},
		nameHints: []string{"elasticsearch"},
		servers:   []string{"elasticsearch", "eswrapper", "/usr/local/bin/docker-entrypoint.sh"}},
	{name: "OpenSearch",
		repos:     []string{"opensearchproject/opensearch", "bitnami/opensearch"},
		dataPaths: []string{"/usr/share/opensearch/data"},
		nameHints: []string{"opensearch"},
		servers:   []string{"opensearch", "./opensearch-docker-entrypoint.sh"}},
	{name: "RabbitMQ",
		repos:     []string{"rabbitmq", "bitnami/rabbitmq"},
		dataPaths: []string{"/var/lib/rabbitmq", "/bitnami/rabbitmq/mnesia"},
		nameHints: []string{"rabbitmq"},
		servers:   []string{"rabbitmq-server", "docker-entrypoint.sh"},
		loss:      "messages not yet synced to disk are lost and the next start recovers the message store"},
	{name: "Redis",
		repos:            []string{"redis", "bitnami/redis", "redis/redis-stack-server", "redis/redis-stack", "valkey/valkey", "bitnami/valkey", "eqalpha/keydb"},
		dataPaths:        []string{"/data", "/bitnami/redis/data", "/bitnami/valkey/data"},
		nameHints:        []string{"redis", "valkey", "keydb"},
		servers:          []string{"redis-server", "valkey-server", "keydb-server", "docker-entrypoint.sh", "/opt/bitnami/scripts/redis/run.sh"},
		needsPersistence: true,
		loss:             "the final RDB save or AOF fsync it makes on shutdown is cut off, and writes not yet on disk are lost"},
}

// notAServer are words in an image name that say it is a tool around a
// server (an exporter, a backup job, an admin UI), not the server.
var notAServer = []string{"exporter", "backup", "dump", "admin", "express", "bouncer", "proxy", "ui", "commander", "insight", "cli", "client", "connect", "rest", "schema-registry", "ksql", "zookeeper", "kibana", "logstash", "beat", "sentinel", "operator", "migrat", "init", "setup", "test"}

// imageRepo returns an image reference's repository without the registry's
// library/ prefix, tag or digest: "postgres", "bitnami/postgresql",
// "docker.elastic.co/elasticsearch/elasticsearch".
func imageRepo(ref string) string {
	ref = strings.ToLower(strings.TrimSpace(ref))
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	for _, p := range []string{"docker.io/", "index.docker.io/", "registry-1.docker.io/", "mirror.gcr.io/", "public.ecr.aws/docker/"} {
		ref = strings.TrimPrefix(ref, p)
	}
	return strings.TrimPrefix(ref, "library/")
}

// statefulKindOf says which stateful server a service runs, from its image
// (or the image its Dockerfile builds FROM), or from a volume at the data
// path of a server its own image's name says it is; nil when unsure.
func statefulKindOf(svc *lint.Service) (*statefulKind, string) {
	refs := []string{svc.Image}
	if svc.Built && svc.ImageConfig != nil {
		refs = []string{svc.ImageConfig.BaseRef}
	} else if svc.HasBuild {
		return nil, ""
	}
	for _, ref := range refs {
		repo := imageRepo(ref)
		if repo == "" || strings.Contains(repo, "$") {
			continue
		}
		for i := range statefulKinds {
			k := &statefulKinds[i]
			for _, r := range k.repos {
				if repo == r || strings.HasSuffix(repo, "/library/"+r) {
					return k, "the image " + ref
				}
			}
		}
		// An image of one's own: its name and a volume at the data path together.
		name := path.Base(repo)
		for i := range statefulKinds {
			k := &statefulKinds[i]
			if !containsAny(name, k.nameHints) {
				continue
			}
			// The words of a tool are looked for beside the server's name,
			// not in it: "clickhouse" holds "cli".
			rest := name
			for _, h := range k.nameHints {
				rest = strings.ReplaceAll(rest, h, " ")
			}
			if containsAny(rest, notAServer) {
				return nil, ""
			}
			for _, m := range svc.Mounts {
				if m.Type != "tmpfs" && containsString(k.dataPaths, path.Clean(m.Target)) {
					return k, "the image " + ref + " with a volume at " + path.Clean(m.Target)
				}
			}
		}
	}
	return nil, ""
}

// runsServer reports whether the service's own command and entrypoint (if it
// sets them) run the server, not a client or a one-off job with its image.
func runsServer(svc *lint.Service, k *statefulKind) bool {
	for _, argv := range [][]string{svc.Entrypoint, svc.Command} {
		if len(argv) == 0 {
			continue
		}
		if script, _, ok := shellWrapper(argv); ok {
			sh := parseShell(script)
			last := sh.last()
			if last == nil || len(last.words) == 0 {
				return false
			}
			words := last.words
			if isExecCommand(words) {
				words = words[1:]
				for len(words) > 0 && strings.HasPrefix(words[0], "-") {
					words = words[1:]
				}
			}
			if len(words) == 0 || !isServer(words[0], k) {
				return false
			}
			continue
		}
		first := argv[0]
		if strings.HasPrefix(first, "-") {
			continue // flags to the image's server
		}
		if !isServer(first, k) {
			return false
		}
	}
	return true
}

func isServer(word string, k *statefulKind) bool {
	for _, s := range k.servers {
		if word == s || path.Base(word) == path.Base(s) {
			return true
		}
	}
	return false
}

// persists reports whether a Redis-like server is configured to keep its
// data: --appendonly yes or a --save schedule on its command, or a volume
// at its data folder (where the default snapshot is written).
func persists(svc *lint.Service, k *statefulKind) bool {
	args := append(append([]string{}, svc.Entrypoint...), svc.Command...)
	if script, _, ok := shellWrapper(args); ok {
		args = nil
		for _, c := range parseShell(script).commands {
			args = append(args, c.words...)
		}
	}
	saveOff := false
	for i, a := range args {
		next := ""
		if i+1 < len(args) {
			next = args[i+1]
		}
		switch {
		case a == "--appendonly" && next == "yes", a == "--appendonly=yes":
			return true
		case a == "--save" && (strings.TrimSpace(next) == "" || next == `""` || next == "''"):
			saveOff = true
		case a == "--save" && !strings.HasPrefix(next, "--"):
			return true
		}
	}
	if saveOff {
		return false // snapshots off and no append-only file: it keeps nothing
	}
	for _, m := range svc.Mounts {
		if m.Type != "tmpfs" && containsString(k.dataPaths, path.Clean(m.Target)) {
			return true
		}
	}
	return false
}

func stopGracePeriodShort(r *lint.Report, svc *lint.Service) {
	if svc.OneShot {
		return
	}
	if svc.StopGracePeriod != nil && *svc.StopGracePeriod >= minStopGrace {
		return
	}
	k, why := statefulKindOf(svc)
	if k == nil || !runsServer(svc, k) {
		return
	}
	if k.needsPersistence && !persists(svc, k) {
		return
	}
	if svc.StopGracePeriod == nil {
		r.Add(svc.Pos, svc.Name, "%s (%s) is given the engine's default 10s to stop before SIGKILL: %s; set stop_grace_period: 1m (it waits only as long as the server takes)", k.name, why, k.cost())
		r.Fix(stopGraceFix(svc))
		return
	}
	r.Add(svc.At("stop_grace_period"), svc.Name, "%s (%s) is given stop_grace_period %s to stop before SIGKILL: %s; give it at least 30s, such as 1m (it waits only as long as the server takes)", k.name, why, svc.StopGracePeriod.String(), k.cost())
	r.Fix(stopGraceFix(svc))
}

// stopGraceFix sets stop_grace_period: 1m, added or in place of the short
// value written. It is safe: the engine waits only as long as the server
// takes to exit, so only a stop that would have been cut off lasts longer.
func stopGraceFix(svc *lint.Service) *lint.Fix {
	e := svc.Edit()
	if e.Has("stop_grace_period") {
		e.SetScalar("stop_grace_period", "1m")
	} else {
		e.AddKeys("stop_grace_period: 1m")
	}
	return e.Fix("set stop_grace_period: 1m", false)
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
