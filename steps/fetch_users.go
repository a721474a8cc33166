package steps

import "context"

// FetchUsers is the fetch-users step (SPEC section 8). Placeholder until the
// fetch issue lands.
func FetchUsers(ctx context.Context, env *Env) (Counts, error) {
	return nil, Usagef("fetch-users is not built yet: give the ticket platform export with --ticket-users FILE")
}
