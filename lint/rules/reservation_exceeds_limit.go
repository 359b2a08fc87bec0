package rules

import (
	"strconv"

	"github.com/docker-heal/docker-heal/lint"
)

// ReservationExceedsLimit finds a reservation above its limit: the engine
// refuses to create the container ("minimum memory limit can not be less than
// memory reservation limit"), and a scheduler places it on a host for a size
// it can never use.
var ReservationExceedsLimit = lint.Rule{
	ID:           "reservation-exceeds-limit",
	Severity:     lint.SeverityError,
	Scope:        lint.ScopeCompose,
	Summary:      "a reservation (memory or cpus) above its limit",
	Category:     lint.CategoryResources,
	CheckService: reservationExceedsLimit,
}

func reservationExceedsLimit(r *lint.Report, svc *lint.Service) {
	if isContainer(svc) {
		return
	}
	if svc.MemLimit > 0 && svc.MemReserve > svc.MemLimit {
		r.Add(svc.At("deploy.resources.reservations.memory", "mem_reservation"), svc.Name, "memory reservation %s is above the memory limit %s: the engine refuses to create the container; lower the reservation or raise the limit", bytesString(svc.MemReserve), bytesString(svc.MemLimit))
	}
	if svc.CPUs > 0 && svc.CPUReserve > svc.CPUs {
		r.Add(svc.At("deploy.resources.reservations.cpus"), svc.Name, "cpus reservation %s is above the cpus limit %s: the service can never use what it reserves; lower the reservation or raise the limit", formatCPUs(svc.CPUReserve), formatCPUs(svc.CPUs))
	}
}

func formatCPUs(c float64) string { return strconv.FormatFloat(c, 'f', -1, 32) }
