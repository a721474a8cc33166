package verify

import "fmt"

// layout checks how the files slice the arrays (SPEC section 6, layout
// seed): tickets, comments and users are each cut, in their own order, into
// runs of B; file n holds the n-th run of each; there are as many files as
// the longest array has runs. B is not written in the archive: it is the
// longest array of any file, which for a well-made archive is the batch
// size, or the longest array of all when every array fits in one run.
type layout struct {
	files [][3]int // the lengths of each file's arrays, in file order
	// off says a file was not scanned to its end or out of sequence: its
	// lengths are unknown and nothing is checked.
	off bool
}

// add takes the array lengths of file number n.
func (l *layout) add(n int, lengths [3]int) {
	if n != len(l.files)+1 {
		l.off = true
		return
	}
	l.files = append(l.files, lengths)
}

// check returns a violation for each file that does not hold what the
// seed layout puts there.
func (l *layout) check() []string {
	if l.off {
		return nil
	}
	var total [3]int
	b := 0
	for _, f := range l.files {
		for k, n := range f {
			total[k] += n
			b = max(b, n)
		}
	}
	files := 0
	if b > 0 {
		for _, t := range total {
			files = max(files, (t+b-1)/b)
		}
	}
	var lines []string
	for i, f := range l.files {
		name := fmt.Sprintf("backup_tickets_%d.json", i+1)
		if i >= files {
			if b == 0 {
				lines = append(lines, name+": holds no object; an archive with nothing to write holds no files (SPEC section 6)")
			} else {
				lines = append(lines, fmt.Sprintf("%s: one file too many: runs of %d put every object in %s (SPEC section 6, layout seed)", name, b, plural(files, "file")))
			}
			continue
		}
		var want [3]int
		for k := range want {
			want[k] = min(max(total[k]-i*b, 0), b)
		}
		if f != want {
			lines = append(lines, fmt.Sprintf("%s: holds %s; want %s: each array is cut in its own order into runs of %d (the longest array of any file) and file n holds the n-th run (SPEC section 6, layout seed)",
				name, lengthsText(f), lengthsText(want), b))
		}
	}
	return lines
}

func lengthsText(n [3]int) string {
	return fmt.Sprintf("%s, %s, %s", plural(n[inTickets], "ticket"), plural(n[inComments], "comment"), plural(n[inUsers], "user"))
}
