package rules

import (
	"fmt"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
	"go.yaml.in/yaml/v4"
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
	Fix:              "unsafe",
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
		if !ok || !everyInterface(p.HostIP) || p.HostIPUnknown || seen[p.Pos] {
			continue
		}
		seen[p.Pos] = true
		host := "a random host port"
		if p.Published != "" {
			host = "host port " + p.Published
		}
		r.Add(p.Pos, svc.Name, "the %s port %d is published on %s of every interface of the host, and Docker's iptables rules let it in ahead of ufw or firewalld; bind it to one address (%s) or leave it unpublished and reach it over the compose network", what, p.Target, host, example(p))
		r.Fix(bindLocalFix(svc, p))
	}
}

// bindLocalFix binds the port to 127.0.0.1: "127.0.0.1:" before a short
// entry ("5432:5432", "5432" becomes "127.0.0.1::5432"), host_ip before the
// first key of a long one. It is unsafe: other hosts (and containers
// reaching the host's address) can no longer connect.
func bindLocalFix(svc *lint.Service, p lint.Port) *lint.Fix {
	if p.HostIP != "" {
		return nil // 0.0.0.0 or :: written out: the author chose it, no fix to insert
	}
	e := svc.Edit()
	n, file := e.NodeAt(p.Pos)
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		start, ok := e.ScalarAt(file, n)
		if !ok || strings.Contains(n.Value, "$") {
			return nil
		}
		prefix := "127.0.0.1:"
		if !strings.Contains(strings.SplitN(n.Value, "/", 2)[0], ":") {
			prefix = "127.0.0.1::" // a random host port
		}
		e.Insert(file, start, prefix)
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			return nil
		}
		first := n.Content[0]
		at, ok := e.Offset(file, first)
		if !ok {
			return nil
		}
		if n.Style&yaml.FlowStyle != 0 {
			e.Insert(file, at, "host_ip: 127.0.0.1, ")
		} else {
			e.Insert(file, at, "host_ip: 127.0.0.1"+e.EOL(file)+strings.Repeat(" ", first.Column-1))
		}
	default:
		return nil
	}
	return e.Fix("bind the port to 127.0.0.1", true)
}

func example(p lint.Port) string {
	pub := p.Published
	if pub == "" {
		pub = fmt.Sprint(p.Target)
	}
	return fmt.Sprintf("\"127.0.0.1:%s:%d\"", pub, p.Target)
}

// everyInterface reports whether a host IP binds every interface: none
// written, or the unspecified address written out.
func everyInterface(ip string) bool {
	switch ip {
	case "", "0.0.0.0", "::", "[::]":
		return true
	}
	return false
}
