package verify

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	vt "github.com/migrate-tool/migrate/internal/verify/verifytest"
)

// benchArchive verifies data b.N times; it must be clean.
func benchArchive(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Archive(context.Background(), bytes.NewReader(data), testConfig())
		if err != nil || res.Violations != 0 {
			b.Fatalf("%+v, %v", res, err)
		}
	}
}

// BenchmarkArchive verifies a generated archive of 20k comments.
func BenchmarkArchive(b *testing.B) {
	benchArchive(b, vt.GeneratedArchive(b, 200))
}

// BenchmarkArchiveSeedScale verifies an archive of the seed's size: 21k
// files, 2.1 million tickets and 2.1 million comments, about 70 MB
// compressed. Writing it takes a while, so MIGRATE_SEED_SCALE_DIR keeps it
// between runs, and MIGRATE_SEED_SCALE sets another number of files:
//
//	MIGRATE_SEED_SCALE=2100 go test -run '^$' -bench SeedScale ./internal/verify/
func BenchmarkArchiveSeedScale(b *testing.B) {
	files := 21000
	if n, err := strconv.Atoi(os.Getenv("MIGRATE_SEED_SCALE")); err == nil && n > 0 {
		files = n
	}
	dir := os.Getenv("MIGRATE_SEED_SCALE_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, "verify-seed-"+strconv.Itoa(files)+".tar.gz")
	data, err := os.ReadFile(path)
	if err != nil {
		data = vt.GeneratedArchive(b, files)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	benchArchive(b, data)
}
