package frame_test

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/migrate-tool/migrate/frame"
)

func ExampleReader() {
	in := "id,name,body\n7,\"Smith, Ann\",\"said \"\"hi\"\"\ntwice\"\n\n8,Bob,ok\n9,x\"y,bad\n10,Eve,fine\n"
	r := frame.NewReader(strings.NewReader(in))
	for {
		fields, line, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Printf("line %d: %v (kept %q)\n", line, err, fields)
			continue
		}
		fmt.Printf("line %d: %q\n", line, fields)
	}
	// Output:
	// line 1: ["id" "name" "body"]
	// line 2: ["7" "Smith, Ann" "said \"hi\"\ntwice"]
	// line 5: ["8" "Bob" "ok"]
	// line 6: parse error on line 6, column 4: bare " in non-quoted field (kept ["9" "x\"y,bad"])
	// line 7: ["10" "Eve" "fine"]
}

func ExampleLeftJoin() {
	users, err := frame.ReadCSV(strings.NewReader("name,email,id\nAnn,ann@x.org,1\nBob,,2\n"),
		"chat_platform_users.csv", []string{"name", "email", "id"}, frame.ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ticket, err := frame.ReadCSV(strings.NewReader("id,email\n500,ann@x.org\n501,ann@x.org\n"),
		"ticket_platform_users.csv", []string{"id", "email"}, frame.ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	merged, err := frame.LeftJoin(users, ticket, "email", "_ticket")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := frame.WriteCSV(os.Stdout, merged); err != nil {
		fmt.Println(err)
	}
	// Output:
	// name,email,id,id_ticket,_merge
	// Ann,ann@x.org,1,500,both
	// Bob,,2,,left_only
}

func ExampleChunks() {
	ids := []int64{11, 12, 13, 14, 15}
	for n, run := range frame.Chunks(len(ids), 2) {
		fmt.Printf("backup_tickets_%d.json: %v\n", n+1, ids[run[0]:run[1]])
	}
	// Output:
	// backup_tickets_1.json: [11 12]
	// backup_tickets_2.json: [13 14]
	// backup_tickets_3.json: [15]
}
