package rules

import (
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// DefaultCredentials finds a well-known password (postgres, root, changeme,
// guest, minioadmin, ...) written into the compose file for a server's own
// credential variable: the first thing anyone who reaches the port tries.
var DefaultCredentials = lint.Rule{
	ID:               "default-credentials",
	Severity:         lint.SeverityWarning,
	Scope:            lint.ScopeCompose,
	Summary:          "a server's password is set in the file to a well-known default",
	SecuritySeverity: 7.0,
	CheckService:     defaultCredentials,
}

// credentialVariables are the variables images read their admin or
// application password from, as their documentation names them.
var credentialVariables = map[string]string{
	"POSTGRES_PASSWORD":                 "PostgreSQL",
	"POSTGRESQL_PASSWORD":               "PostgreSQL",
	"POSTGRESQL_POSTGRES_PASSWORD":      "PostgreSQL",
	"MYSQL_ROOT_PASSWORD":               "MySQL",
	"MYSQL_PASSWORD":                    "MySQL",
	"MARIADB_ROOT_PASSWORD":             "MariaDB",
	"MARIADB_PASSWORD":                  "MariaDB",
	"MONGO_INITDB_ROOT_PASSWORD":        "MongoDB",
	"MONGODB_ROOT_PASSWORD":             "MongoDB",
	"MONGODB_PASSWORD":                  "MongoDB",
	"RABBITMQ_DEFAULT_PASS":             "RabbitMQ",
	"RABBITMQ_PASSWORD":                 "RabbitMQ",
	"MINIO_ROOT_PASSWORD":               "MinIO",
	"MINIO_SECRET_KEY":                  "MinIO",
	"GF_SECURITY_ADMIN_PASSWORD":        "Grafana",
	"REDIS_PASSWORD":                    "Redis",
	"ELASTIC_PASSWORD":                  "Elasticsearch",
	"OPENSEARCH_INITIAL_ADMIN_PASSWORD": "OpenSearch",
	"PGADMIN_DEFAULT_PASSWORD":          "pgAdmin",
	"KEYCLOAK_ADMIN_PASSWORD":           "Keycloak",
	"KC_BOOTSTRAP_ADMIN_PASSWORD":       "Keycloak",
	"DOCKER_INFLUXDB_INIT_PASSWORD":     "InfluxDB",
	"INFLUXDB_ADMIN_PASSWORD":           "InfluxDB",
	"MSSQL_SA_PASSWORD":                 "SQL Server",
	"SA_PASSWORD":                       "SQL Server",
	"CLICKHOUSE_PASSWORD":               "ClickHouse",
	"COUCHDB_PASSWORD":                  "CouchDB",
	"ARANGO_ROOT_PASSWORD":              "ArangoDB",
	"NEO4J_PASSWORD":                    "Neo4j",
}

// wellKnownPasswords are the defaults of images and tutorials, and the
// first entries of every password list; compared without case.
var wellKnownPasswords = map[string]bool{
	"postgres": true, "postgresql": true, "root": true, "toor": true, "password": true, "passw0rd": true,
	"password1": true, "password123": true, "pass": true, "changeme": true, "changeit": true,
	"admin": true, "admin123": true, "administrator": true, "secret": true, "example": true,
	"123456": true, "12345678": true, "1234": true, "12345": true, "guest": true,
	"minioadmin": true, "mysql": true, "mariadb": true, "mongo": true, "mongodb": true,
	"redis": true, "rabbitmq": true, "elastic": true, "default": true, "letmein": true,
	"qwerty": true, "test": true, "user": true,
	// The example password of the postgres image's documentation.
	"mysecretpassword": true,
}

func defaultCredentials(r *lint.Report, svc *lint.Service) {
	for _, e := range svc.Env {
		server, ok := credentialVariables[e.Name]
		if !ok || !e.Literal || !wellKnownPasswords[strings.ToLower(strings.TrimSpace(e.Value))] {
			continue
		}
		r.Add(e.Pos, svc.Name, "%s is written in the file as a well-known default password: it is the first one tried on a reachable %s; take it from a variable with no default (%s: ${%s:?set it in .env}) or a secret", e.Name, server, e.Name, e.Name)
	}
}
