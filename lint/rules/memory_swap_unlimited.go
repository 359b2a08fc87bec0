package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// MemorySwapUnlimited finds a memory limit that swap can stretch: with
// memswap_limit unset the container may use as much swap again as its memory
// limit (the engine sets MemorySwap to twice Memory), so a leak turns into
// slow swapping instead of a clean OOM kill and restart.
var MemorySwapUnlimited = lint.Rule{
	ID:           "memory-swap-unlimited",
	Severity:     lint.SeverityInfo,
	Scope:        lint.ScopeCompose | lint.ScopeContainer,
	Summary:      "a memory limit without `memswap_limit` equal to it",
	Category:     lint.CategoryResources,
	CheckService: memorySwapUnlimited,
}

// For a container, MemorySwap is what the engine keeps: 0 or -1 (unlimited),
// twice Memory when only --memory was given, or the value set.
func memorySwapUnlimited(r *lint.Report, svc *lint.Service) {
	limit, swap := svc.MemLimit, svc.MemSwap
	if limit <= 0 || swap == limit {
		return
	}
	pos := svc.At("memswap_limit", "mem_limit", "deploy.resources.limits.memory")
	fix := "set memswap_limit: " + bytesString(limit) + " (equal to the memory limit) so the container cannot swap"
	if isContainer(svc) {
		pos = svc.Pos
		fix = runtimeFix(svc, "memswap_limit equal to mem_limit", "docker update --memory-swap "+bytesString(limit))
	}
	switch {
	case swap == -1:
		r.Add(pos, svc.Name, "memory limit %s with unlimited swap: a leak swaps instead of being stopped; %s", bytesString(limit), fix)
	case swap == 0:
		r.Add(pos, svc.Name, "memory limit %s without memswap_limit: the engine lets the container use %s of swap as well (on a host with swap), so a leak slows down instead of being stopped; %s", bytesString(limit), bytesString(limit), fix)
	case swap < limit:
		r.Add(pos, svc.Name, "memswap_limit %s is below the memory limit %s, which the engine refuses; %s", bytesString(swap), bytesString(limit), fix)
	default:
		r.Add(pos, svc.Name, "memory limit %s with memory+swap %s: the engine lets the container use %s of swap (on a host with swap), so a leak slows down instead of being stopped; %s", bytesString(limit), bytesString(swap), bytesString(swap-limit), fix)
	}
}
