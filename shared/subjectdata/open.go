package subjectdata

import (
	"context"

	"github.com/claritru/privacy/shared/request"
)

// OpenRequests finds a person's requests still open, over the profile an
// erasure covers (shared/ddb.Subjects).
type OpenRequests interface {
	OpenRequests(ctx context.Context, keys []string) ([]request.Request, error)
}

// Closer closes an open request with its outcome and mail
// (request.Service.CloseForErasure).
type Closer interface {
	CloseForErasure(ctx context.Context, id, actor string) error
}

// CloseOpen sets what the erasure closes a person's open requests with
// before it minimises them: without it, an erasure would leave a request
// waiting with its contact details blank and delete its outcome mail unsent.
func (s *Service) CloseOpen(open OpenRequests, closer Closer) {
	s.open, s.closer = open, closer
}

// closeOpen closes every open request of the profile of keys, each with
// its outcome mail, as actor.
func (s *Service) closeOpen(ctx context.Context, keys []string, actor string) (int, error) {
	if s.open == nil || s.closer == nil {
		return 0, nil
	}
	rs, err := s.open.OpenRequests(ctx, keys)
	if err != nil {
		return 0, err
	}
	for _, r := range rs {
		if err := s.closer.CloseForErasure(ctx, r.ID, actor); err != nil {
			return 0, err
		}
	}
	return len(rs), nil
}
