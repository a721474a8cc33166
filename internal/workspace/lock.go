package workspace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
)

// LockFile is the lock a run takes in its work dir (SPEC section 2).
const LockFile = "migrate.lock"

// ErrLocked is wrapped by Lock's error when another run holds the work dir.
var ErrLocked = errors.New("work dir locked by another run")

// Lock takes the work dir dir for this run, creating it: a second run on
// the same work dir stops at once (exit status 1), naming the running one.
// The lock is an flock on dir/migrate.lock, so a run that is killed
// releases it with its process. It then removes the temporary files that
// killed runs left in dir. unlock releases the lock.
func Lock(dir string, args []string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fail.Usagef("cannot create the work dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return nil, fail.Usagef("cannot write in the work dir %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		who := strings.TrimSpace(string(holder))
		if who == "" {
			who = "another migrate"
		}
		return nil, fail.Because(fail.Failure, ErrLocked,
			"the work dir %s is in use by %s; wait for it to finish, or use another --work-dir", dir, who)
	}
	f.Truncate(0)
	fmt.Fprintf(f, "migrate (process %d, started %s): migrate %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339), strings.Join(args, " "))
	RemoveStale(dir)
	return func() {
		f.Truncate(0)
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// RemoveStale removes from dir the temporary files of migrate's own that
// runs which were killed left there: names CreateAtomic makes, whose process
// is gone.
func RemoveStale(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, ok := tempPID(e.Name())
		if !ok || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}

// tempName is the temporary name of final in its folder: .NAME.tmp-PID-,
// followed by CreateTemp's random part.
func tempName(final string) string {
	return "." + filepath.Base(final) + ".tmp-" + strconv.Itoa(os.Getpid()) + "-*"
}

// tempPID reads the process id out of a temporary name: ".NAME.tmp-PID-N",
// PID and N decimal (N is os.CreateTemp's random part). Anything else, such
// as a user's ".config.tmp-4242-old", is not migrate's.
func tempPID(name string) (int, bool) {
	i := strings.LastIndex(name, ".tmp-")
	if !strings.HasPrefix(name, ".") || i < 1 {
		return 0, false
	}
	digits, random, ok := strings.Cut(name[i+len(".tmp-"):], "-")
	if !ok || !allDigits(digits) || !allDigits(random) {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	return pid, err == nil && pid > 0
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
