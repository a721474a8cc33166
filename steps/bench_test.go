package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/frame"
)

// writeBenchCSV writes rows messages in conversations of 10, by 2000 chat
// users who share emails in pairs, with 10% exact repeats.
func writeBenchCSV(b *testing.B, rows int) string {
	b.Helper()
	var sb strings.Builder
	sb.WriteString(testHeader)
	for i := 0; i < rows; i++ {
		n := i
		if i%10 == 9 {
			n = i - 5 // an exact repeat of an earlier row
		}
		conv := n/10 + 1
		author := 1000 + n%2000
		fmt.Fprintf(&sb, "%d,%d,%d,User %d,user%d@example.com,\"Hello, this is message %d about <order> & \"\"refund\"\"\",true,2021-01-01T10:%02d:%02dZ,2021-01-01T10:00:00Z,%d\n",
			conv, n+1, author, author, author/2, n, (n/60)%60, n%60, 1000+conv%2000)
	}
	path := filepath.Join(b.TempDir(), "chat_data.csv")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchScanOptions(path string, messages bool) scanOptions {
	return scanOptions{
		file: path, messages: messages,
		nulls: frame.NewNulls(DefaultNullValues),
		times: &frame.TimeParser{Loc: time.UTC, Now: time.Now()},
	}
}

// BenchmarkScan is the read of chat_data.csv that chat-users and build share:
// CSV, values, the user components, comments and tickets.
func BenchmarkScan(b *testing.B) {
	path := writeBenchCSV(b, 200000)
	st, _ := os.Stat(path)
	for _, messages := range []bool{false, true} {
		b.Run(fmt.Sprintf("messages=%v", messages), func(b *testing.B) {
			b.SetBytes(st.Size())
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := scanChat(context.Background(), benchScanOptions(path, messages)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(200000*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkWriteArchive is the writer: JSON encoding and compression.
func BenchmarkWriteArchive(b *testing.B) {
	path := writeBenchCSV(b, 200000)
	s, err := scanChat(context.Background(), benchScanOptions(path, true))
	if err != nil {
		b.Fatal(err)
	}
	a := &archiveData{}
	for t := range s.Tickets.ID {
		a.tickets.id = append(a.tickets.id, s.Tickets.ID[t])
		a.tickets.created = append(a.tickets.created, s.Tickets.Created[t])
		a.tickets.requester = append(a.tickets.requester, s.Tickets.Requester[t])
	}
	c := &s.Comments
	a.comments.created, a.comments.ticket, a.comments.id = c.Created, c.Ticket, c.ID
	a.comments.public, a.comments.body, a.comments.author = c.Public, c.Body, c.Author
	for _, u := range s.Users {
		a.users.name = append(a.users.name, u.Name)
		a.users.email = append(a.users.email, u.Email)
		a.users.id = append(a.users.id, u.ID)
	}
	out := filepath.Join(b.TempDir(), "backup_tickets.tar.gz")
	for _, level := range []int{1, 2, 6} {
		b.Run(fmt.Sprintf("level=%d", level), func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			for i := 0; i < b.N; i++ {
				_, n, err := writeArchive(out, a, archiveOptions{batch: 100, level: level, mtime: 1})
				if err != nil {
					b.Fatal(err)
				}
				size = n
			}
			b.ReportMetric(float64(len(c.ID)*b.N)/b.Elapsed().Seconds(), "comments/s")
			b.ReportMetric(float64(size)/1e6, "MB")
		})
	}
}
