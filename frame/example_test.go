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
	merged, matched := frame.LeftJoin(users, ticket, "email", "_ticket")
	fmt.Println(matched)
	if err := frame.WriteCSV(os.Stdout, merged); err != nil {
		fmt.Println(err)
	}
	// Output:
	// [true false]
	// name,email,id,id_ticket
	// Ann,ann@x.org,1,500
	// Bob,,2,
}
