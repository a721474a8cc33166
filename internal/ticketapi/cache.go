package ticketapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// keptFormat is the version of the kept pages' format. Pages kept in
// another format (an earlier migrate's, which kept more than the ids and
// emails) are dropped, not read.
const keptFormat = 3

// DirMode is the mode of the folder of kept pages: like the files in it,
// it holds people's emails (SPEC section 8).
const DirMode os.FileMode = 0o700

// source is what a folder's pages were fetched from: pages of another
// address or account, or in another format, are not reused. The account
// is kept as its SHA-256, not as itself: it is half of the credentials.
type source struct {
	Format int    `json:"format"`
	APIURL string `json:"api_url"`
	User   string `json:"user_sha256"`
}

// cache keeps fetched pages in a folder until the fetch completes, so that
// a rerun after a failure fetches only the pages it lacks. An empty dir
// keeps nothing.
type cache struct {
	dir string
}

// prepare makes the folder, keeping the pages in it only when they come
// from the same address and account, in this format. Either way the
// folder and every file in it end up readable by their owner only.
func (c *cache) prepare(want source) error {
	if c.dir == "" {
		return nil
	}
	meta := filepath.Join(c.dir, "source.json")
	if data, err := os.ReadFile(meta); err == nil {
		var have source
		if json.Unmarshal(data, &have) == nil && have == want {
			return c.tighten()
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		return fail.Failf("cannot clear %s, left by an earlier fetch from another address or by another version: %w", c.dir, err)
	}
	if err := os.MkdirAll(c.dir, DirMode); err != nil {
		return fail.Failf("cannot create %s: %w", c.dir, err)
	}
	if err := c.tighten(); err != nil {
		return err
	}
	data, err := json.Marshal(want)
	if err != nil {
		return err
	}
	return workspace.WriteFile(meta, data)
}

// tighten gives the folder DirMode and its files workspace.FileMode, in
// case an earlier run or a person loosened them.
func (c *cache) tighten() error {
	if err := os.Chmod(c.dir, DirMode); err != nil {
		return fail.Failf("cannot make %s private: %w", c.dir, err)
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return fail.Failf("cannot read %s: %w", c.dir, err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			if err := os.Chmod(filepath.Join(c.dir, e.Name()), workspace.FileMode); err != nil {
				return fail.Failf("cannot make %s private: %w", filepath.Join(c.dir, e.Name()), err)
			}
		}
	}
	return nil
}

func (c *cache) path(n int) string {
	return filepath.Join(c.dir, fmt.Sprintf("page-%06d.json", n))
}

// load returns page n as an earlier run kept it, or nil: a page that
// cannot be read, or was fetched from another address, is fetched again.
func (c *cache) load(n int, pageURL string) *page {
	if c.dir == "" {
		return nil
	}
	data, err := os.ReadFile(c.path(n))
	if err != nil {
		return nil
	}
	var p page
	if json.Unmarshal(data, &p) != nil || p.Number != n || p.URL != pageURL || p.Users == nil {
		return nil
	}
	return &p
}

// save keeps p, atomically and readable by its owner only.
func (c *cache) save(p *page) error {
	if c.dir == "" {
		return nil
	}
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return workspace.WriteFile(c.path(p.Number), data)
}

// discard removes the folder once the pages are no longer needed.
func (c *cache) discard() error {
	if c.dir == "" {
		return nil
	}
	if err := os.RemoveAll(c.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fail.Failf("fetched every page, but cannot remove %s: %w; remove it by hand", c.dir, err)
	}
	return nil
}
