package archive

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// benchData is 200,000 comments in conversations of 10 by 2,000 users,
// with bodies that need escaping, as a seed-like export gives.
func benchData() *Data {
	const rows = 200000
	c := frame.Comments{Bodies: frame.MemorySpill()}
	var t frame.Tickets
	for i := 0; i < rows; i++ {
		conv := int64(i/10 + 1)
		if i%10 == 0 {
			t.Append(conv)
			t.Created[len(t.Created)-1] = 1609495200
			t.Requester[len(t.Requester)-1] = 1000 + conv%2000
		}
		c.ID = append(c.ID, int64(i+1))
		c.Ticket = append(c.Ticket, conv)
		c.Author = append(c.Author, int64(1000+i%2000))
		c.Created = append(c.Created, 1609495200+int64(i%3600))
		c.Public = append(c.Public, i%3 != 0)
		c.AddBody(fmt.Sprintf("Hello, this is message %d about <order> & \"refund\"", i), 0)
		c.Record = append(c.Record, int32(i+1))
	}
	var u Users
	for i := 0; i < 2000; i++ {
		u.Name = append(u.Name, fmt.Sprintf("User %d", 1000+i))
		u.Email = append(u.Email, fmt.Sprintf("user%d@example.com", 1000+i))
		u.ID = append(u.ID, int64(1000+i))
	}
	return &Data{Tickets: &t, Comments: &c, Users: u}
}

// BenchmarkWrite is the writer: JSON encoding and compression.
func BenchmarkWrite(b *testing.B) {
	a := benchData()
	out := filepath.Join(b.TempDir(), "backup_tickets.tar.gz")
	for _, level := range []int{1, 2, 6} {
		b.Run(fmt.Sprintf("level=%d", level), func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			for i := 0; i < b.N; i++ {
				f, err := workspace.CreateAtomic(out)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Write(context.Background(), f, a, Options{Batch: 100, Level: level, MTime: 1}); err != nil {
					b.Fatal(err)
				}
				if err := f.Commit(); err != nil {
					b.Fatal(err)
				}
				size = f.Size()
			}
			b.ReportMetric(float64(a.Comments.Len()*b.N)/b.Elapsed().Seconds(), "comments/s")
			b.ReportMetric(float64(size)/1e6, "MB")
		})
	}
}
