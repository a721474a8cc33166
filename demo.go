package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/migrate-tool/migrate/fakeapi"
	"github.com/migrate-tool/migrate/fixtures"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/workspace"
	"github.com/migrate-tool/migrate/steps"
)

// The demo's folder, credentials and fake API. The credentials reach
// fetch-users through the demo's own getenv, never through the process's
// environment or arguments.
const (
	demoDir      = "demo-out"
	demoUser     = "demo"
	demoPassword = "demo-password"
	// demoPerPage is small so that the sample's users take several pages,
	// fetched concurrently; demoEvery429 makes the fake API answer 429 to
	// the first request and every third after it, so the retries show.
	demoPerPage  = 20
	demoEvery429 = 3
	// demoMaxWait caps every wait fetch-users asks for (Retry-After: 1
	// included): the demo shows its retries without making anyone wait.
	demoMaxWait = 50 * time.Millisecond
)

// runDemo runs every step on the bundled sample: it writes the sample's
// chat export into ./demo-out, serves the sample's ticket platform users
// from a fake API on 127.0.0.1, fetches them from it, and builds and
// verifies the archive there.
func runDemo(ctx context.Context, stdout, stderr io.Writer, quiet bool) error {
	chatCSV := filepath.Join(demoDir, "chat_data.csv")
	if err := copySample("sample/chat_data.csv", chatCSV); err != nil {
		return err
	}
	users, err := loadSampleUsers()
	if err != nil {
		return err
	}
	api, err := fakeapi.Start(users, fakeapi.Options{
		User:     demoUser,
		Password: demoPassword,
		PerPage:  demoPerPage,
		Every429: demoEvery429,
	})
	if err != nil {
		return fail.Failf("demo: %v", err)
	}
	defer api.Close()
	if !quiet {
		fmt.Fprintf(stderr, "demo: a fake ticket platform at %s serves the sample's %d users, %d a page, and answers 429 now and then\n",
			api.URL, len(users), demoPerPage)
	}

	opt := steps.DefaultOptions()
	opt.WorkDir = demoDir
	opt.ChatCSV = chatCSV
	opt.APIURL = api.URL
	opt.Steps = []string{"all"}
	opt.Quiet = quiet
	// The sample holds the defects of real exports on purpose, bytes that
	// are not UTF-8 among them: the demo reads them as U+FFFD.
	opt.InvalidUTF8 = "replace"
	err = runSteps(ctx, &steps.Env{
		Opt:      opt,
		Stdout:   stdout,
		Stderr:   stderr,
		Now:      time.Now(),
		Getenv:   demoGetenv,
		Sleep:    demoSleep,
		Progress: progress.New(stderr, quiet),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "The archive is %s; the counts are in %s.\n",
		opt.ArchivePath(), filepath.Join(demoDir, workspace.ReportFile))
	return nil
}

// demoGetenv gives fetch-users the fake API's credentials and passes every
// other variable (SOURCE_DATE_EPOCH) through.
func demoGetenv(name string) string {
	switch name {
	case steps.EnvAPIUser:
		return demoUser
	case steps.EnvAPIPassword:
		return demoPassword
	}
	return os.Getenv(name)
}

// demoSleep waits at most demoMaxWait, or until ctx is done.
func demoSleep(ctx context.Context, d time.Duration) error {
	return steps.SleepContext(ctx, min(d, demoMaxWait))
}

func copySample(name, dst string) error {
	data, err := fs.ReadFile(fixtures.Sample, name)
	if err != nil {
		return fail.Failf("demo: the bundled sample lacks %s: %v", name, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fail.Failf("demo: cannot create %s: %v", filepath.Dir(dst), err)
	}
	f, err := workspace.CreateAtomic(dst)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fail.Failf("demo: cannot write %s: %v", dst, err)
	}
	return f.Commit()
}

func loadSampleUsers() ([]fakeapi.User, error) {
	const name = "sample/ticket_platform_users.csv"
	f, err := fixtures.Sample.Open(name)
	if err != nil {
		return nil, fail.Failf("demo: the bundled sample lacks %s: %v", name, err)
	}
	defer f.Close()
	users, err := fakeapi.LoadUsersCSV(f)
	if err != nil {
		return nil, fail.Failf("demo: the bundled %s: %v", name, err)
	}
	return users, nil
}
