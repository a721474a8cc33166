package steps

import "context"

// Scan is what one read of chat_data.csv yields (being written).
type Scan struct{}

// MergedUsers is the merged user table (being written).
type MergedUsers struct{}

func ChatUsers(ctx context.Context, env *Env) (Counts, error)  { return nil, nil }
func MergeUsers(ctx context.Context, env *Env) (Counts, error) { return nil, nil }
func Build(ctx context.Context, env *Env) (Counts, error)      { return nil, nil }
