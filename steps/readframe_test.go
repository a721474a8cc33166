package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Errors in the files passed between steps name the file's real line, even
// after blank lines and quoted line breaks.
func TestWorkFileErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name, file, content, want string
		load                      func(env *Env) error
	}{
		{"merged id", MergedUsersFile,
			"name,email,id,source,chat_ids\n\"A\nB\",a@x.test,1,chat,1\n\nC,c@x.test,x,chat,2\n",
			"merged_users.csv: line 5: id \"x\"",
			func(env *Env) error { _, err := loadMerged(env); return err }},
		{"merged chat ids", MergedUsersFile,
			"name,email,id,source,chat_ids\n\nA,a@x.test,1,chat,1 z\n",
			"merged_users.csv: line 3: chat_ids",
			func(env *Env) error { _, err := loadMerged(env); return err }},
		{"chat user id", ChatUsersFile,
			"name,email,id,chat_ids\nA,a@x.test,1,1\n\n\nB,b@x.test,0,2\n",
			"chat_platform_users.csv: line 5: id \"0\"",
			func(env *Env) error { _, err := loadChatUsers(env); return err }},
		{"missing file", ChatUsersFile, "",
			"run the chat-users step first",
			func(env *Env) error { _, err := loadChatUsers(env); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &Env{Opt: DefaultOptions()}
			env.Opt.WorkDir = t.TempDir()
			if tt.content != "" {
				if err := os.WriteFile(filepath.Join(env.Opt.WorkDir, tt.file), []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := tt.load(env)
			if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v (status %d), want status 2 containing %q", err, ExitCode(err), tt.want)
			}
		})
	}
}
