package frame

import (
	"bytes"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/go-gota/gota/dataframe"
)

// table returns a frame as its header followed by its rows.
func table(t testing.TB, df dataframe.DataFrame) [][]string {
	t.Helper()
	if df.Err != nil {
		t.Fatalf("frame error: %v", df.Err)
	}
	names := df.Names()
	out := [][]string{names}
	cols := make([][]string, len(names))
	for i, name := range names {
		col, err := Column(df, name)
		if err != nil {
			t.Fatal(err)
		}
		cols[i] = col
	}
	for r := 0; r < df.Nrow(); r++ {
		row := make([]string, len(names))
		for c := range cols {
			row[c] = cols[c][r]
		}
		out = append(out, row)
	}
	return out
}

// col is Column that fails the test on an error.
func col(t testing.TB, df dataframe.DataFrame, name string) []string {
	t.Helper()
	c, err := Column(df, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mustFrame builds a frame from a header and rows.
func mustFrame(t testing.TB, header []string, rows ...[]string) dataframe.DataFrame {
	t.Helper()
	cols := make([][]string, len(header))
	for c := range header {
		cols[c] = []string{}
		for _, row := range rows {
			cols[c] = append(cols[c], row[c])
		}
	}
	df := FromColumns(header, cols...)
	if df.Err != nil {
		t.Fatalf("FromColumns: %v", df.Err)
	}
	return df
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name  string
		input string
		cols  []string
		lazy  bool
		want  [][]string
	}{
		{
			name:  "keeps only the named columns, named as asked",
			input: "\xEF\xBB\xBFX, Email ,ID\r\n1,a@x.org,00076\r\n2,,NaN\r\n",
			cols:  []string{"id", "email"},
			want:  [][]string{{"id", "email"}, {"00076", "a@x.org"}, {"NaN", ""}},
		},
		{
			name:  "quoted fields and empty lines",
			input: "id,name\n\n7,\"Smith, Ann\"\n8,\"two\nlines\"\n",
			cols:  []string{"name", "id"},
			want:  [][]string{{"name", "id"}, {"Smith, Ann", "7"}, {"two\nlines", "8"}},
		},
		{
			name:  "header only",
			input: "id,email\n",
			cols:  []string{"id", "email"},
			want:  [][]string{{"id", "email"}},
		},
		{
			name:  "lazy quotes",
			input: "id,email\n1,a\"b\n",
			cols:  []string{"id", "email"},
			lazy:  true,
			want:  [][]string{{"id", "email"}, {"1", "a\"b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			df, err := ReadCSV(strings.NewReader(tt.input), "users.csv", tt.cols, ReadOptions{LazyQuotes: tt.lazy})
			if err != nil {
				t.Fatal(err)
			}
			if got := table(t, df); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadCSV = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadCSVLines(t *testing.T) {
	input := "\n id , email\n\n1,\"a\nb\"\r\n2,c\n\n\n3,\n"
	df, lines, err := ReadCSVLines(strings.NewReader(input), "users.csv", []string{"id", "email"}, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{4, 6, 9}; !reflect.DeepEqual(lines, want) {
		t.Errorf("lines = %v, want %v", lines, want)
	}
	if want := [][]string{{"id", "email"}, {"1", "a\nb"}, {"2", "c"}, {"3", ""}}; !reflect.DeepEqual(table(t, df), want) {
		t.Errorf("frame = %q, want %q", table(t, df), want)
	}
}

func TestReadCSVErrors(t *testing.T) {
	cols := []string{"id", "email"}
	tests := []struct {
		name    string
		input   string
		wantIs  error
		wantMsg string
	}{
		{"empty", "", ErrEmptyFile, "users.csv: the file is empty; it needs a header row naming the columns id, email"},
		{"only empty lines", "\n\r\n", ErrEmptyFile, "users.csv: the file is empty"},
		{"missing column", "\nid,mail\n", nil, `users.csv: line 2: missing required column(s) email; the header has 2 column(s): "id", "mail"`},
		{"field count", "id,email\n1,a\n2,b,c\n", ErrFieldCount, "users.csv: line 3: the record has 3 field(s) but the header has 2"},
		{"bare quote", "id,email\n1,a\"b\n", ErrBareQuote, "users.csv: line 2: column 4: bare \" in non-quoted field"},
		{"quote", "id,email\n1,\"a\n\"b\n", ErrQuote, "users.csv: line 3: column 1: extraneous or missing \" in quoted field (record starting on line 2)"},
		{"open quote", "id,email\n1,\"a\nb\n", ErrOpenQuote, "users.csv: line 2: column 3: this quote opens a field that is never closed (the file ends at line 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tt.input), "users.csv", cols, ReadOptions{})
			if err == nil {
				t.Fatal("ReadCSV: no error")
			}
			if !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Errorf("error %q, want it to start with %q", err, tt.wantMsg)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
		})
	}
	var he *HeaderError
	if _, err := ReadCSV(strings.NewReader("id\n"), "u.csv", cols, ReadOptions{}); !errors.As(err, &he) {
		t.Errorf("missing column: error %v is not a *HeaderError", err)
	}
}

func TestFromColumnsAndColumn(t *testing.T) {
	df := FromColumns([]string{"id", "name"}, []string{"00076", "NaN", ""}, []string{"a", "b", "NA"})
	want := [][]string{{"id", "name"}, {"00076", "a"}, {"NaN", "b"}, {"", "NA"}}
	if got := table(t, df); !reflect.DeepEqual(got, want) {
		t.Errorf("frame = %q, want %q", got, want)
	}
	if got, err := Column(df, "nope"); got != nil || err == nil {
		t.Errorf("Column of a missing column = %q, %v; want an error", got, err)
	}
	empty := FromColumns([]string{"a"}, nil)
	if empty.Err != nil || empty.Nrow() != 0 || !reflect.DeepEqual(col(t, empty, "a"), []string{}) {
		t.Errorf("empty column: %v rows, err %v", empty.Nrow(), empty.Err)
	}
	for _, bad := range []dataframe.DataFrame{
		FromColumns([]string{"a", "b"}, []string{"1"}, []string{"1", "2"}),
		FromColumns([]string{"a", "a"}, []string{"1"}, []string{"2"}),
		FromColumns([]string{"a"}, []string{"1"}, []string{"2"}),
	} {
		if bad.Err == nil {
			t.Errorf("FromColumns accepted a bad frame: %v", bad.Names())
		}
	}
}

func TestRename(t *testing.T) {
	df := mustFrame(t, []string{"a", "b", "c"}, []string{"1", "2", "3"})
	tests := []struct {
		name  string
		names map[string]string
		want  []string
	}{
		{"one", map[string]string{"b": "B"}, []string{"a", "B", "c"}},
		{"swap", map[string]string{"a": "c", "c": "a"}, []string{"c", "b", "a"}},
		{"unknown names ignored", map[string]string{"x": "y"}, []string{"a", "b", "c"}},
		{"nil map", nil, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Rename(df, tt.names)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Names(), tt.want) {
				t.Errorf("names = %v, want %v", got.Names(), tt.want)
			}
			if v := col(t, got, tt.want[1]); !reflect.DeepEqual(v, []string{"2"}) {
				t.Errorf("values moved: %v", v)
			}
		})
	}
	if !reflect.DeepEqual(df.Names(), []string{"a", "b", "c"}) {
		t.Errorf("Rename changed its input: %v", df.Names())
	}
	if _, err := Rename(df, map[string]string{"a": "b"}); err == nil {
		t.Error("Rename to a name that is taken: no error")
	}
}

func TestCast(t *testing.T) {
	df := mustFrame(t, []string{"id"}, []string{"00076"}, []string{"x"}, []string{"12"}, []string{""}, []string{"NaN"})
	parse := func(s string) (int64, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	vals, bad, err := Cast(df, "id", parse)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{76, 0, 12, 0, 0}; !reflect.DeepEqual(vals, want) {
		t.Errorf("values = %v, want %v", vals, want)
	}
	if want := []int{1, 3, 4}; !reflect.DeepEqual(bad, want) {
		t.Errorf("bad = %v, want %v", bad, want)
	}
	if vals, bad, err := Cast(df, "nope", parse); vals != nil || bad != nil || err == nil {
		t.Errorf("missing column: %v, %v, %v; want an error", vals, bad, err)
	}
}

func TestDropNA(t *testing.T) {
	df := mustFrame(t, []string{"id", "email", "name"},
		[]string{"1", "a@x", ""},
		[]string{"", "b@x", "B"},
		[]string{"3", "NULL", "C"},
		[]string{"4", "d@x", "D"},
	)
	isNull := func(s string) bool { return s == "" || s == "NULL" }
	tests := []struct {
		name     string
		cols     []string
		wantIDs  []string
		wantDrop []int
	}{
		{"one column", []string{"id"}, []string{"1", "3", "4"}, []int{1}},
		{"any of two", []string{"id", "email"}, []string{"1", "4"}, []int{1, 2}},
		{"all three", []string{"id", "email", "name"}, []string{"4"}, []int{0, 1, 2}},
		{"no columns", nil, []string{"1", "", "3", "4"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, dropped, err := DropNA(df, isNull, tt.cols...)
			if err != nil {
				t.Fatal(err)
			}
			if got := col(t, kept, "id"); !reflect.DeepEqual(got, tt.wantIDs) {
				t.Errorf("kept ids = %q, want %q", got, tt.wantIDs)
			}
			if !reflect.DeepEqual(dropped, tt.wantDrop) {
				t.Errorf("dropped = %v, want %v", dropped, tt.wantDrop)
			}
		})
	}
	if _, _, err := DropNA(df, isNull, "nope"); err == nil {
		t.Error("DropNA on a missing column: no error")
	}
}

func TestDropDuplicates(t *testing.T) {
	df := mustFrame(t, []string{"id", "a", "b"},
		[]string{"0", "x", "y"},
		[]string{"1", "x", "z"},
		[]string{"2", "x", "y"},
		[]string{"3", "", ""},
		[]string{"4", "", ""},
		[]string{"5", "ab", "c"},
		[]string{"6", "a", "bc"},
		[]string{"7", "NaN", ""},
		[]string{"8", "NaN", ""},
	)
	tests := []struct {
		name     string
		subset   []string
		wantIDs  []string
		wantDrop []int
	}{
		{"one column", []string{"a"}, []string{"0", "3", "5", "6", "7"}, []int{1, 2, 4, 8}},
		{"two columns: no two combinations share a key", []string{"a", "b"}, []string{"0", "1", "3", "5", "6", "7"}, []int{2, 4, 8}},
		{"unique column", []string{"id"}, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, dropped, err := DropDuplicates(df, tt.subset...)
			if err != nil {
				t.Fatal(err)
			}
			if got := col(t, kept, "id"); !reflect.DeepEqual(got, tt.wantIDs) {
				t.Errorf("kept ids = %q, want %q", got, tt.wantIDs)
			}
			if !reflect.DeepEqual(dropped, tt.wantDrop) {
				t.Errorf("dropped = %v, want %v", dropped, tt.wantDrop)
			}
		})
	}
	if _, _, err := DropDuplicates(df, "nope"); err == nil {
		t.Error("DropDuplicates on a missing column: no error")
	}
}

func TestLeftJoin(t *testing.T) {
	users := mustFrame(t, []string{"name", "email", "id"},
		[]string{"Ann", "ann@x", "1"},
		[]string{"Bob", "", "2"},
		[]string{"Cy", "cy@x", "3"},
		[]string{"Di", "ann@x", "4"},
	)
	tests := []struct {
		name  string
		right dataframe.DataFrame
		want  [][]string
	}{
		{
			name: "first right row wins, clash suffixed, empty key never matches",
			right: mustFrame(t, []string{"id", "email"},
				[]string{"", ""},
				[]string{"10", "ann@x"},
				[]string{"11", "ann@x"},
				[]string{"12", "zed@x"},
			),
			want: [][]string{
				{"name", "email", "id", "id_ticket", "_merge"},
				{"Ann", "ann@x", "1", "10", "both"},
				{"Bob", "", "2", "", "left_only"},
				{"Cy", "cy@x", "3", "", "left_only"},
				{"Di", "ann@x", "4", "10", "both"},
			},
		},
		{
			name:  "no right rows",
			right: mustFrame(t, []string{"email", "source"}),
			want: [][]string{{"name", "email", "id", "source", "_merge"}, {"Ann", "ann@x", "1", "", "left_only"},
				{"Bob", "", "2", "", "left_only"}, {"Cy", "cy@x", "3", "", "left_only"}, {"Di", "ann@x", "4", "", "left_only"}},
		},
		{
			name:  "right has only the key",
			right: mustFrame(t, []string{"email"}, []string{"cy@x"}),
			want: [][]string{{"name", "email", "id", "_merge"}, {"Ann", "ann@x", "1", "left_only"},
				{"Bob", "", "2", "left_only"}, {"Cy", "cy@x", "3", "both"}, {"Di", "ann@x", "4", "left_only"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			joined, err := LeftJoin(users, tt.right, "email", "_ticket")
			if err != nil {
				t.Fatal(err)
			}
			if got := table(t, joined); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("joined = %q, want %q", got, tt.want)
			}
		})
	}
	clash, err := Rename(users, map[string]string{"name": "id_r"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LeftJoin(clash, mustFrame(t, []string{"email", "id"}), "email", "_r"); err == nil {
		t.Error("LeftJoin with a suffixed name that clashes: no error")
	}
	if _, err := LeftJoin(users, mustFrame(t, []string{"id"}), "email", "_r"); err == nil {
		t.Error("LeftJoin without the key on the right: no error")
	}
}

// joinFrames builds n left users and m right users, every third left email
// present on the right.
func joinFrames(n, m int) (left, right dataframe.DataFrame) {
	emails, ids := make([]string, n), make([]string, n)
	for i := range n {
		emails[i] = "user" + strconv.Itoa(i*3) + "@example.com"
		ids[i] = strconv.Itoa(i + 1)
	}
	remails, rids := make([]string, m), make([]string, m)
	for j := range m {
		remails[j] = "user" + strconv.Itoa(j*9) + "@example.com"
		rids[j] = strconv.Itoa(1_000_000 + j)
	}
	return FromColumns([]string{"email", "id"}, emails, ids), FromColumns([]string{"email", "id"}, remails, rids)
}

// TestLeftJoinLarge runs the join at the size of a real migration: a nested
// loop would take 741 million comparisons here.
func TestLeftJoinLarge(t *testing.T) {
	left, right := joinFrames(13_000, 57_000)
	joined, err := LeftJoin(left, right, "email", "_ticket")
	if err != nil || joined.Nrow() != 13_000 {
		t.Fatalf("joined %d rows, err %v", joined.Nrow(), err)
	}
	ids := col(t, joined, "id_ticket")
	for i, how := range col(t, joined, Indicator) {
		ok := how == Both
		if want := i%3 == 0; ok != want {
			t.Fatalf("row %d matched = %v, want %v", i, ok, want)
		}
		if want := strconv.Itoa(1_000_000 + i/3); ok && ids[i] != want {
			t.Fatalf("row %d id_ticket = %s, want %s", i, ids[i], want)
		}
	}
}

func BenchmarkLeftJoin(b *testing.B) {
	left, right := joinFrames(13_000, 57_000)
	for b.Loop() {
		LeftJoin(left, right, "email", "_ticket")
	}
}

func TestWriteCSV(t *testing.T) {
	tests := []struct {
		name string
		df   dataframe.DataFrame
		want string
	}{
		{
			name: "quotes only where needed",
			df: FromColumns([]string{"name", "email", "id"},
				[]string{"Smith, Ann", `say "hi"`, "two\nlines", " lead", "é", ""},
				[]string{"a@x", "", "NaN", "b@x", "c@x", "d"},
				[]string{"00076", "2", "3", "4", "5", "6"}),
			want: "name,email,id\n\"Smith, Ann\",a@x,00076\n\"say \"\"hi\"\"\",,2\n\"two\nlines\",NaN,3\n\" lead\",b@x,4\né,c@x,5\n,d,6\n",
		},
		{
			name: "header only",
			df:   FromColumns([]string{"id", "email"}, nil, nil),
			want: "id,email\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteCSV(&b, tt.df); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("WriteCSV =\n%q\nwant\n%q", b.String(), tt.want)
			}
			// What WriteCSV writes, ReadCSV reads back unchanged.
			back, err := ReadCSV(&b, "back.csv", tt.df.Names(), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(table(t, back), table(t, tt.df)) {
				t.Errorf("round trip = %q, want %q", table(t, back), table(t, tt.df))
			}
		})
	}
	if err := WriteCSV(&bytes.Buffer{}, dataframe.DataFrame{Err: errors.New("boom")}); err == nil {
		t.Error("WriteCSV of a frame with Err: no error")
	}
}
