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
	demoPassword = "Zq8-demo-Xv3Lr"
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
// verifies the archive there. Then it runs the cutover: the same export
// taken again later, migrated with build --delta into a second archive
// that holds only what the first lacks, and prints the history of runs.
func runDemo(ctx context.Context, stdout, stderr io.Writer, quiet bool) error {
	// A fresh start: the demo's delta run continues the demo's full run.
	if err := os.RemoveAll(demoDir); err != nil {
		return fail.Failf("demo: cannot clear %s: %w", demoDir, err)
	}
	chatCSV := filepath.Join(demoDir, "chat_data.csv")
	if err := copySample("sample/chat_data.csv", chatCSV); err != nil {
		return err
	}
	laterCSV := filepath.Join(demoDir, "chat_data_later.csv")
	if err := copySample("sample/chat_data_later.csv", laterCSV); err != nil {
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
	env := func(o steps.Options) *steps.Env {
		return &steps.Env{Opt: o, Stdout: stdout, Stderr: stderr, Now: time.Now(),
			Getenv: demoGetenv, Sleep: demoSleep, Progress: progress.New(stderr, quiet)}
	}
	fmt.Fprintf(stdout, "== The migration: migrate -steps all --chat-csv %s --api-url %s --work-dir %s\n", chatCSV, api.URL, demoDir)
	if err := runSteps(ctx, env(opt)); err != nil {
		return err
	}

	// After cutover: the later export, with only what is new written.
	delta := opt
	delta.ChatCSV = laterCSV
	delta.APIURL = ""
	delta.Steps = []string{"chat-users", "merge-users", "build", "verify"}
	delta.Delta = true
	delta.Out = filepath.Join(demoDir, "backup_tickets_delta.tar.gz")
	fmt.Fprintf(stdout, "\n== After cutover: migrate --steps chat-users,merge-users,build,verify --delta --chat-csv %s --out %s --work-dir %s\n",
		laterCSV, delta.Out, demoDir)
	if err := runSteps(ctx, env(delta)); err != nil {
		return err
	}

	history := opt
	history.Steps = []string{"history"}
	fmt.Fprintf(stdout, "\n== migrate --steps history --work-dir %s\n", demoDir)
	if err := runSteps(ctx, env(history)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "The archives are %s and %s; the counts are in %s, the runs in %s.\n",
		opt.ArchivePath(), delta.Out, filepath.Join(demoDir, workspace.ReportFile), filepath.Join(demoDir, "migrate.db"))
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
