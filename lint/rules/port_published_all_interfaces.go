package rules

import (
	"fmt"

	"github.com/docker-heal/docker-heal/lint"
)

// PortPublishedAllInterfaces finds a database, cache, broker or daemon API
// port published with no host address: the engine binds it on every
// interface of the host, and its own iptables rules let traffic in ahead of
// a host firewall such as ufw or firewalld.
var PortPublishedAllInterfaces = lint.Rule{
	ID:               "port-published-all-interfaces",
	Severity:         lint.SeverityWarning,
	Scope:            lint.ScopeCompose,
	Summary:          "a database, cache or admin port is published on every interface of the host",
	SecuritySeverity: 6.5,
	CheckService:     portPublishedAllInterfaces,
}

// sensitivePorts are container ports whose servers are meant for other
// containers or the operator, not the internet, by their registered or
// documented default.
var sensitivePorts = map[uint32]string{
	5432:  "PostgreSQL",
	3306:  "MySQL/MariaDB",
	1433:  "SQL Server",
	1521:  "Oracle Database",
	27017: "MongoDB",
	6379:  "Redis",
	11211: "Memcached",
	9200:  "Elasticsearch/OpenSearch HTTP",
	9300:  "Elasticsearch transport",
	5672:  "AMQP (RabbitMQ)",
	15672: "RabbitMQ management",
	8123:  "ClickHouse HTTP",
	9042:  "Cassandra",
	5984:  "CouchDB",
	7687:  "Neo4j Bolt",
	9092:  "Kafka",
	2181:  "ZooKeeper",
	2379:  "etcd",
	2375:  "Docker API (unencrypted)",
	2376:  "Docker API",
	8086:  "InfluxDB",
	26257: "CockroachDB",
	28015: "RethinkDB",
	8529:  "ArangoDB",
}

func portPublishedAllInterfaces(r *lint.Report, svc *lint.Service) {
	if svc.NetworkMode == "host" {
		return // ports: are ignored with the host's network
	}
	seen := map[lint.Position]bool{}
	for _, p := range svc.Ports {
		what, ok := sensitivePorts[p.Target]
		if !ok || p.HostIP != "" || p.HostIPUnknown || seen[p.Pos] {
			continue
		}
		seen[p.Pos] = true
		host := "a random host port"
		if p.Published != "" {
			host = "host port " + p.Published
		}
		r.Add(p.Pos, svc.Name, "the %s port %d is published on %s of every interface of the host, and Docker's iptables rules let it in ahead of ufw or firewalld; bind it to one address (%s) or leave it unpublished and reach it over the compose network", what, p.Target, host, example(p))
	}
}

func example(p lint.Port) string {
	pub := p.Published
	if pub == "" {
		pub = fmt.Sprint(p.Target)
	}
	return fmt.Sprintf("\"127.0.0.1:%s:%d\"", pub, p.Target)
}
