// Package frame is where migrate's data frames live, and the pandas verbs
// its steps use on them:
//
//   - the user tables are gota DataFrames of String columns, with ReadCSV,
//     Rename, Cast, DropNA, DropDuplicates, LeftJoin, Select, Assign and
//     WriteCSV written with one pass per column and hash maps where gota
//     would read every record twice or compare every row with every row;
//   - the millions of messages are columnar frames of typed columns
//     (Comments, Tickets: one slice per column), with the verbs Filter,
//     Take, Map (a hash left join on an id), FirstSeen (drop_duplicates
//     keeping the first, fed while the export streams in) and Chunks (the
//     slicing into files of 100), none of which makes a call per cell;
//   - Reader, a fast streaming CSV reader that both are read with.
//
// Every frame holds String columns only: no type detection, so an id written
// "00076" stays "00076" until Cast parses it on purpose. gota reads the
// string "NaN" as its NaN element, whose text is still "NaN", so it
// round-trips.
//
// The Reader follows encoding/csv (RFC 4180 with "\n" or "\r\n" line ends;
// empty lines skipped; a UTF-8 BOM at the start skipped) and tells which
// line each record starts on. The input
//
//	id,name,body
//	7,"Smith, Ann","said ""hi""
//	twice"
//
//	8,Bob,ok
//
// gives the records
//
//	line 1: {`id`, `name`, `body`}
//	line 2: {`7`, `Smith, Ann`, "said \"hi\"\ntwice"}
//	line 5: {`8`, `Bob`, `ok`}
//
// A stray quote spoils one record (ErrBareQuote, ErrQuote) and reading goes
// on with the next line; a quote still open at the end of the input is
// ErrOpenQuote and ends it.
//
// With frames, the seed's VLOOKUP of chat users on ticket platform users is
//
//	users, err := frame.ReadCSV(f, "chat_platform_users.csv", []string{"name", "email", "id"}, frame.ReadOptions{})
//	ticket, err := frame.ReadCSV(g, "ticket_platform_users.csv", []string{"id", "email"}, frame.ReadOptions{})
//	ticket, _, err = frame.DropDuplicates(ticket, "email")
//	merged, err := frame.LeftJoin(users, ticket, "email", "_ticket")
//
// where merged has the columns name, email, id, id_ticket and _merge, which
// says "both" where user i found a ticket platform user with its email and
// "left_only" where not, as pandas merge(indicator=True) does.
package frame
