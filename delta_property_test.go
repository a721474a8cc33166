package main

// The property of delta migrations (SPEC section 12), on generated exports:
// B is a whole export and A its first records, cut at a record boundary. A
// full build of B writes, object for object, what a full build of A and a
// delta build of B wrote together, plus exactly the comments the delta run
// rejected as ticket_already_migrated. Then migrate.db is read with SQL and
// held against the archives, report.json and created.csv.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/migrate-tool/migrate/fixtures/gen/chatgen"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/value"
)

func TestDeltaEqualsFullBuild(t *testing.T) {
	rows := 20_000
	if testing.Short() {
		rows = 4000
	}
	for _, cfg := range []chatgen.Config{{Seed: 3}, {Seed: 11}, {Seed: 5, EdgeRate: 0.01}} {
		cfg.Rows = rows
		t.Run(fmt.Sprintf("seed %d edges %g", cfg.Seed, cfg.EdgeRate), func(t *testing.T) {
			dir := t.TempDir()
			if _, err := chatgen.WriteFiles(cfg, dir); err != nil {
				t.Fatal(err)
			}
			b := filepath.Join(dir, "chat_data.csv")
			a := filepath.Join(dir, "chat_a.csv")
			kept := cutRecords(t, b, a, rows*3/5)
			tp := filepath.Join(dir, "ticket_platform_users.csv")

			full := filepath.Join(dir, "full")
			buildDir(t, full, b, tp)
			wantArchive := readArchive(t, filepath.Join(full, "backup_tickets.tar.gz"))

			work := filepath.Join(dir, "delta")
			buildDir(t, work, a, tp)
			first := readArchive(t, filepath.Join(work, "backup_tickets.tar.gz"))
			firstReport := readBuildReport(t, work)
			if firstReport.Records != int64(kept) {
				t.Fatalf("A holds %d records for migrate, %d for frame.Reader: not cut at a record boundary", firstReport.Records, kept)
			}
			buildDir(t, work, b, tp, "--delta")
			second := readArchive(t, filepath.Join(work, "backup_tickets.tar.gz"))
			secondReport := readBuildReport(t, work)

			checkUnion(t, wantArchive, first, second, filepath.Join(work, "rejects.csv"), secondReport)
			checkState(t, work, []*archiveObjects{first, second}, []buildReport{firstReport, secondReport})
		})
	}
}

// cutRecords writes the header and the first records of the CSV file from
// to a new file, cut at a record boundary whatever line breaks the quoted
// fields hold: at least n records, and more until the cut falls inside a
// conversation (the next record is another message of the same one), so
// that B adds messages to a ticket A wrote. It returns the records kept.
func cutRecords(t *testing.T, from, to string, n int) int {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	// The reader migrate reads exports with, so that a malformed record
	// is one record here too.
	r := frame.NewReader(bytes.NewReader(data))
	var prev []string
	for i := 0; ; i++ { // the header is record 0
		offset := r.InputOffset()
		rec, _, err := r.Read()
		if err != nil && !errors.Is(err, frame.ErrBareQuote) && !errors.Is(err, frame.ErrQuote) {
			t.Fatalf("record %d: %v", i, err)
		}
		if i > n && len(rec) > 1 && len(prev) > 1 && rec[0] == prev[0] && rec[1] != prev[1] {
			if err := os.WriteFile(to, data[:offset], 0o600); err != nil {
				t.Fatal(err)
			}
			return i - 1
		}
		prev = slices.Clone(rec)
	}
}

// buildDir runs chat-users, merge-users and build in work.
func buildDir(t *testing.T, work, chat, tp string, extra ...string) {
	t.Helper()
	args := append([]string{"--steps", "chat-users,merge-users,build", "--chat-csv", chat, "--ticket-users", tp,
		"--work-dir", work, "--quiet", "--max-reject-rate", "1", "--invalid-utf8", "replace"}, extra...)
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr, noEnv); err != nil {
		t.Fatalf("migrate %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
}

// archiveObjects are an archive's objects, file by file, as written.
type archiveObjects struct {
	Files []archiveFile
}

type archiveFile struct {
	Name                     string
	Raw                      []byte // the entry as written
	Tickets, Comments, Users []json.RawMessage
}

func readArchive(t *testing.T, path string) *archiveObjects {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := &archiveObjects{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Data struct {
				Tickets struct {
					Data, Comments, Users []json.RawMessage
				} `json:"tickets"`
			} `json:"data"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		d := doc.Data.Tickets
		out.Files = append(out.Files, archiveFile{Name: h.Name, Raw: raw, Tickets: d.Data, Comments: d.Comments, Users: d.Users})
	}
}

// byID indexes the objects of one kind by their id, failing on a repeated
// id.
func (a *archiveObjects) byID(t *testing.T, kind string) (map[int64]map[string]any, []int64) {
	t.Helper()
	m := map[int64]map[string]any{}
	var order []int64
	for _, f := range a.Files {
		list := map[string][]json.RawMessage{"ticket": f.Tickets, "comment": f.Comments, "user": f.Users}[kind]
		for _, raw := range list {
			var obj map[string]any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if err := d.Decode(&obj); err != nil {
				t.Fatal(err)
			}
			id, err := obj["id"].(json.Number).Int64()
			if err != nil {
				t.Fatal(err)
			}
			if _, dup := m[id]; dup {
				t.Fatalf("%s %d written twice", kind, id)
			}
			m[id] = obj
			order = append(order, id)
		}
	}
	return m, order
}

// buildReport is what the property needs of build's object in report.json.
type buildReport struct {
	Raw    map[string]json.RawMessage
	Splits []struct {
		ChatIDs []int64 `json:"chat_ids"`
		IDs     []int64 `json:"ids"`
	} `json:"identity_splits"`
	Records         int64                 `json:"records"`
	AlreadyMigrated int64                 `json:"already_migrated"`
	Inputs          map[string]reportFile `json:"inputs"`
	Outputs         map[string]reportFile `json:"outputs"`
}

type reportFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func readBuildReport(t *testing.T, work string) buildReport {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(work, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var steps map[string]json.RawMessage
	if err := json.Unmarshal(b, &steps); err != nil {
		t.Fatal(err)
	}
	var r buildReport
	if err := json.Unmarshal(steps["build"], &r); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(steps["build"], &r.Raw); err != nil {
		t.Fatal(err)
	}
	return r
}

// checkUnion holds the full build of B against the full build of A plus
// the delta build of B.
func checkUnion(t *testing.T, want, first, second *archiveObjects, rejectsPath string, report buildReport) {
	t.Helper()
	// The chat ids whose users an identity split keeps apart: their ids may
	// differ from a full build's, and so may the references to them.
	split := map[int64]bool{}
	for _, s := range report.Splits {
		for _, id := range s.IDs {
			split[id] = true
		}
	}
	if len(report.Splits) > 0 {
		t.Logf("%d identity splits: %+v", len(report.Splits), report.Splits)
	}
	tam := rejectedComments(t, rejectsPath, "ticket_already_migrated")
	for _, kind := range []string{"ticket", "comment", "user"} {
		full, _ := want.byID(t, kind)
		a, _ := first.byID(t, kind)
		d, _ := second.byID(t, kind)
		union := map[int64]map[string]any{}
		for id, obj := range a {
			union[id] = obj
		}
		for id, obj := range d {
			if _, ok := union[id]; ok {
				t.Errorf("%s %d written by both runs", kind, id)
			}
			union[id] = obj
		}
		missing, relaxed := 0, 0
		for id, obj := range full {
			got, ok := union[id]
			switch {
			case !ok && kind == "comment" && tam[id]:
				missing++
			case !ok && kind == "user" && split[id]:
				// A ticket platform id that a split user did not take.
			case !ok:
				t.Errorf("%s %d of the full build is in neither run's archive", kind, id)
			case kind == "comment" && tam[id]:
				t.Errorf("comment %d was written although rejected as ticket_already_migrated", id)
			case reflect.DeepEqual(got, obj):
			case kind == "user" && lessKnown(got, id):
				relaxed++ // written by A before B named it or gave its email
			case refersToSplit(got, obj, split):
				relaxed++
			default:
				t.Errorf("%s %d differs:\n full build: %v\n A + delta:  %v", kind, id, obj, got)
			}
		}
		for id := range union {
			if _, ok := full[id]; !ok && !(kind == "user" && split[id]) {
				t.Errorf("%s %d is in the union but not in the full build", kind, id)
			}
		}
		if kind == "comment" && missing != len(tam) {
			t.Errorf("%d comments of the full build are missing from the union, but rejects.csv lists %d as ticket_already_migrated", missing, len(tam))
		}
		t.Logf("%ss: full build %d, A %d + delta %d; %d ticket_already_migrated, %d differing only by a split id or what A did not know yet", kind, len(full), len(a), len(d), missing, relaxed)
	}
	if report.AlreadyMigrated == 0 {
		t.Error("the delta run found nothing already migrated: the cut gave A nothing")
	}
	if len(tam) == 0 {
		t.Error("no ticket_already_migrated: the data does not test the property's exception")
	}
}

// lessKnown tells whether a user A wrote is one whose name or email A did
// not know yet: a defaulted name, or no email.
func lessKnown(user map[string]any, id int64) bool {
	name, _ := user["name"].(string)
	email, _ := user["email"].(string)
	local, _, _ := strings.Cut(email, "@")
	return email == "" || name == local || name == "Chat user "+strconv.FormatInt(id, 10)
}

// refersToSplit tells whether two objects differ only in author_id or
// requester_id, between ids of an identity split.
func refersToSplit(got, want map[string]any, split map[int64]bool) bool {
	for k, v := range want {
		if reflect.DeepEqual(got[k], v) {
			continue
		}
		if k != "author_id" && k != "requester_id" {
			return false
		}
		g, _ := got[k].(json.Number).Int64()
		w, _ := v.(json.Number).Int64()
		if !split[g] || !split[w] {
			return false
		}
	}
	return len(got) == len(want)
}

// rejectedComments are the COMMENT_PART_IDs of rejects.csv's rows of reason.
func rejectedComments(t *testing.T, path, reason string) map[int64]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "COMMENT_PART_ID")
	out := map[int64]bool{}
	for _, row := range rows[1:] {
		if row[2] != reason {
			continue
		}
		id, ok := value.ParseID(row[col])
		if !ok {
			t.Fatalf("rejects.csv: COMMENT_PART_ID %q", row[col])
		}
		out[id] = true
	}
	return out
}

// checkState reads migrate.db with SQL after the runs whose archives and
// reports are given, oldest first.
func checkState(t *testing.T, work string, archives []*archiveObjects, reports []buildReport) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(work, "migrate.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	query := func(q string, args []any, dst ...any) {
		t.Helper()
		if err := db.QueryRow(q, args...).Scan(dst...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var n int
	query(`SELECT count(*) FROM runs`, nil, &n)
	if n != len(archives) {
		t.Fatalf("migrate.db records %d runs, want %d", n, len(archives))
	}
	for i, arch := range archives {
		id := int64(i + 1)
		var kind string
		var lineage int64
		var chatPath, chatSHA, archivePath, archiveSHA, counts string
		var chatSize, archiveSize int64
		query(`SELECT kind, lineage, chat_export_path, chat_export_size, chat_export_sha256, archive_path, archive_size, archive_sha256, counts FROM runs WHERE id = ?`,
			[]any{id}, &kind, &lineage, &chatPath, &chatSize, &chatSHA, &archivePath, &archiveSize, &archiveSHA, &counts)
		wantKind := map[bool]string{true: "full", false: "delta"}[i == 0]
		if kind != wantKind || lineage != 1 {
			t.Errorf("run %d: kind %s, lineage %d; want %s, lineage 1", id, kind, lineage, wantKind)
		}
		rep := reports[i]
		if f := rep.Inputs["chat_export"]; f != (reportFile{chatPath, chatSize, chatSHA}) {
			t.Errorf("run %d: chat export %s %d %s, report.json %+v", id, chatPath, chatSize, chatSHA, f)
		}
		if f := rep.Outputs["archive"]; f != (reportFile{archivePath, archiveSize, archiveSHA}) {
			t.Errorf("run %d: archive %s %d %s, report.json %+v", id, archivePath, archiveSize, archiveSHA, f)
		}
		var recorded map[string]json.RawMessage
		if err := json.Unmarshal([]byte(counts), &recorded); err != nil {
			t.Fatal(err)
		}
		for k, v := range recorded {
			if !bytes.Equal(v, rep.Raw[k]) {
				t.Errorf("run %d: counts[%s] = %s, report.json %s", id, k, v, rep.Raw[k])
			}
		}

		// What the archive created, counted and listed.
		var created bytes.Buffer
		created.WriteString("kind,id\n")
		var tickets, comments, users int
		var hashes []int64
		for _, f := range arch.Files {
			for _, k := range []struct {
				kind string
				list []json.RawMessage
			}{{"ticket", f.Tickets}, {"comment", f.Comments}, {"user", f.Users}} {
				for _, raw := range k.list {
					var obj struct{ ID int64 }
					json.Unmarshal(raw, &obj)
					fmt.Fprintf(&created, "%s,%d\n", k.kind, obj.ID)
				}
			}
			tickets, comments, users = tickets+len(f.Tickets), comments+len(f.Comments), users+len(f.Users)
			for _, c := range f.Comments {
				// The hash is of the comment as written in the compact file.
				if !bytes.Contains(f.Raw, c) {
					t.Fatalf("%s: comment %s is not written compactly", f.Name, c)
				}
				hashes = append(hashes, int64(xxhash.Sum64(c)))
			}
		}
		var dbTickets, dbComments, dbUsers int
		query(`SELECT (SELECT count(*) FROM tickets WHERE run_id = ?1), (SELECT count(*) FROM comments WHERE run_id = ?1), (SELECT count(*) FROM users WHERE run_id = ?1)`,
			[]any{id}, &dbTickets, &dbComments, &dbUsers)
		if dbTickets != tickets || dbComments != comments || dbUsers != users {
			t.Errorf("run %d: migrate.db holds %d tickets, %d comments, %d users; the archive %d, %d, %d", id, dbTickets, dbComments, dbUsers, tickets, comments, users)
		}
		var dbHashes []int64
		rows, err := db.Query(`SELECT hash FROM comments WHERE run_id = ? ORDER BY file`, id)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var h int64
			rows.Scan(&h)
			dbHashes = append(dbHashes, h)
		}
		rows.Close()
		if !slices.Equal(dbHashes, hashes) {
			t.Errorf("run %d: the comments' hashes in migrate.db are not xxhash64 of the comments as written", id)
		}
		list, err := os.ReadFile(filepath.Join(work, "runs", strconv.FormatInt(id, 10), "created.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(list, created.Bytes()) {
			t.Errorf("run %d: created.csv is not the archive's objects in archive order", id)
		}
	}
	// Every chat id of merged_users.csv is mapped by the delta run.
	var unmapped int
	query(`SELECT count(*) FROM chat_ids AS a WHERE a.run_id = 1 AND NOT EXISTS (SELECT 1 FROM chat_ids AS b WHERE b.run_id = 2 AND b.chat_id = a.chat_id)`, nil, &unmapped)
	if unmapped != 0 {
		t.Errorf("%d chat ids mapped by the first run are not mapped by the delta run", unmapped)
	}
	var moved int
	query(`SELECT count(*) FROM chat_ids AS a JOIN chat_ids AS b ON a.chat_id = b.chat_id WHERE a.run_id = 1 AND b.run_id = 2 AND a.user_id != b.user_id`, nil, &moved)
	if moved != 0 {
		t.Errorf("%d chat ids changed destination id in the delta run", moved)
	}
}
