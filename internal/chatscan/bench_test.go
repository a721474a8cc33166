package chatscan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/value"
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

func benchOptions(path string, messages bool) Options {
	return Options{
		File: path, Messages: messages,
		Nulls: value.NewNulls([]string{"NULL", "null", `\N`}),
		Times: &value.TimeParser{Loc: time.UTC, Now: time.Now()},
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
				if _, err := Scan(context.Background(), benchOptions(path, messages)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(200000*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
