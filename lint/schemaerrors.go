package lint

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/schema"
)

// compose-go's schema validation reports one error of several, and which
// one depends on map order (two services with the same bad key give either
// service's error from run to run). When it rejects a project for its
// schema, the project's model is loaded again without validation and each
// service is validated alone, in name order, so every such error is
// reported, always in one order. The list is used only when it holds the
// error compose-go reported, so it never invents a problem compose-go
// would not have.
func schemaErrors(ctx context.Context, opts ProjectOptions, ix *positionIndex, files []string, original error) *ProjectErrors {
	if !strings.Contains(original.Error(), "validating ") {
		return nil
	}
	want, ok := ix.composeError(files, original).(*ParseError)
	if !ok {
		return nil
	}
	po, err := projectOptions(opts, cli.WithLoadOptions(func(o *loader.Options) {
		o.SkipValidation = true
		o.SkipConsistencyCheck = true
	}))
	if err != nil {
		return nil
	}
	model, err := loadModelWithRecover(ctx, po)
	if err != nil {
		return nil
	}
	services, _ := model["services"].(map[string]any)
	var out []*ParseError
	found := false
	check := func(sub map[string]any) bool {
		verr := schema.Validate(sub)
		if verr == nil {
			return true
		}
		pe, ok := ix.composeError(files, fmt.Errorf("validating %s: %w", files[0], verr)).(*ParseError)
		if !ok {
			return false
		}
		found = found || (pe.Msg == want.Msg && pe.Pos == want.Pos)
		out = append(out, pe)
		return true
	}
	top := maps.Clone(model)
	top["services"] = map[string]any{}
	if !check(top) {
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(services)) {
		sub := maps.Clone(model)
		sub["services"] = map[string]any{name: services[name]}
		if !check(sub) {
			return nil
		}
	}
	if !found {
		return nil
	}
	return &ProjectErrors{Errs: out}
}

func loadModelWithRecover(ctx context.Context, po *cli.ProjectOptions) (m map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("the compose loader failed: %v", r)
		}
	}()
	return po.LoadModel(ctx)
}
