// Command migrate carries a support team's chat history and ticket platform
// users into one bulk-import archive for the destination help desk.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/migrate-tool/migrate/steps"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
	}
	os.Exit(steps.ExitCode(err))
}

// run is the whole program behind main; end-to-end tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return nil
}
