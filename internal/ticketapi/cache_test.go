package ticketapi

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// wantPrivate fails unless every folder under dir (dir included) is 0700
// and every file 0600.
func wantPrivate(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = fs.ModeDir | 0o700
		}
		if info.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, info.Mode(), want)
		}
		return nil
	})
}

// Issue 13, finding 7: the kept pages are readable by their owner only,
// even in a folder an earlier run or a person loosened.
func TestKeptPagesArePrivate(t *testing.T) {
	p := paging{total: 250, per: 100, next: "absolute"}
	failing := true
	var api *fakeUsers
	api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		if failing && page == 3 {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		writePage(w, p.body(api.srv.URL, page))
	})
	r := newFetchRun(t, api.srv.URL)
	if _, err := r.run(t); err == nil {
		t.Fatal("no error, want the 404 of page 3")
	}
	wantPrivate(t, r.cfg.Dir)
	kept, _ := filepath.Glob(filepath.Join(r.cfg.Dir, "page-*.json"))
	if len(kept) != 2 {
		t.Fatalf("kept %v, want pages 1 and 2", kept)
	}

	os.Chmod(r.cfg.Dir, 0o755)
	for _, k := range kept {
		os.Chmod(k, 0o644)
	}
	failing = false
	if _, err := r.run(t); err != nil {
		t.Fatal(err)
	}
	if h := api.hitsOf(1); h != 1 {
		t.Errorf("page 1 requested %d times, want once: it was kept", h)
	}
	wantPrivate(t, r.cfg.Dir)
}

// Pages kept by another version (which kept more than ids and emails) are
// dropped, not read.
func TestKeptPagesOfAnotherFormatAreDropped(t *testing.T) {
	p := paging{total: 150, per: 100, next: "absolute"}
	var api *fakeUsers
	api = newFakeUsers(t, p.answer(&api))
	r := newFetchRun(t, api.srv.URL)
	os.MkdirAll(r.cfg.Dir, 0o755)
	os.WriteFile(filepath.Join(r.cfg.Dir, "source.json"), []byte(`{"api_url":"`+api.srv.URL+`","user":"`+testAPIUser+`"}`), 0o644)
	os.WriteFile(filepath.Join(r.cfg.Dir, "page-000001.json"), []byte(`{"page":1,"url":"`+api.pageURL(1)+`","users":[{"id":1,"email":"old@example.com"}],"last":true}`), 0o644)
	if _, err := r.run(t); err != nil {
		t.Fatal(err)
	}
	if got, want := r.export(t), sampleCSV(150); got != want {
		t.Errorf("users %q, want %q: the old page was read", got, want)
	}
	wantPrivate(t, r.cfg.Dir)
}
