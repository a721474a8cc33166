package main

import (
	"context"
	"io"

	"github.com/migrate-tool/migrate/steps"
)

func runDemo(ctx context.Context, stdout, stderr io.Writer, quiet bool) error {
	return steps.Usagef("the demo is not built yet")
}
