package main

import (
	_ "github.com/docker/cli/cli-plugins/plugin"
	_ "github.com/docker/cli/cli/command"
	_ "github.com/moby/moby/client"
	_ "github.com/compose-spec/compose-go/v2/cli"
	_ "github.com/moby/buildkit/frontend/dockerfile/parser"
	_ "github.com/moby/buildkit/frontend/dockerfile/instructions"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/spf13/cobra"
	_ "github.com/prometheus/common/expfmt"
	_ "github.com/prometheus/client_model/go"
	_ "gopkg.in/yaml.v3"
)
func main() {}
