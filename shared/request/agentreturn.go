package request

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/claritru/privacy/shared/fault"
)

// maxReturnURL bounds an agent's return address.
const maxReturnURL = 2000

// RedirectOrigin returns the origin (scheme, host and port, in lower case,
// the scheme's default port left out) of an absolute URL an authorized
// agent may send the person back to: https, or plain http to the loopback
// host when loopback is set (a service itself served on http, locally). A
// URL with user information, a backslash or a control character is
// refused: browsers and parsers read those differently, the old trick of
// an open redirect.
func RedirectOrigin(raw string, loopback bool) (string, error) {
	if raw == "" || len(raw) > maxReturnURL || strings.ContainsAny(raw, "\\ ") {
		return "", errors.New("not an absolute https URL")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", errors.New("not an absolute https URL")
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	switch {
	case scheme == "https":
	case scheme == "http" && loopback && isLoopback(host):
	default:
		return "", errors.New("must be https")
	}
	if port == "" || scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// ReturnTo is the address the agent asked the person be sent back to
// (redirect_to, DRP 3.02.1), when its origin is one the agent's entry in
// the register lists; "" otherwise, and then it is ignored: the address is
// the caller's to choose, never trusted for itself.
func (p *ProtocolAgent) ReturnTo(raw string, loopback bool) string {
	if p == nil || raw == "" {
		return ""
	}
	origin, err := RedirectOrigin(raw, loopback)
	if err != nil || !slices.Contains(p.RedirectOrigins, origin) {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.String()
}

// loopback reports whether the service itself is served on plain http
// (locally), where an agent's return address may be too.
func (s *Service) loopback() bool { return strings.HasPrefix(s.cfg.PublicBaseURL, "http://") }

// AgentReturn is the checked return address of an agent's request
// (ProtocolAgent.ReturnTo), "" for any other request.
func (s *Service) AgentReturn(r Request, raw string) string {
	if r.Channel != Agent {
		return ""
	}
	return r.Protocol.ReturnTo(raw, s.loopback())
}

// AwaitingAgent returns the request an authorized agent sent the person to
// confirm (the protocol's user_verification_url): id must be the request's
// and requestID, which the agent adds, the same (DRP 3.02.1), the request
// of channel agent and still waiting for the person to confirm it from the
// mailed link. Anything else is ErrTokenGone, the answer to an unknown or
// used link, so that the page says nothing of anyone's request.
func (s *Service) AwaitingAgent(ctx context.Context, id, requestID string) (Request, error) {
	if id == "" || id != requestID || !referencePattern().MatchString(id) {
		return Request{}, ErrTokenGone
	}
	r, err := s.store.Get(ctx, id)
	if fault.KindOf(err) == fault.NotFound {
		return Request{}, ErrTokenGone
	}
	if err != nil {
		return Request{}, err
	}
	if r.Channel != Agent || r.Protocol == nil || r.Status != PendingVerification || r.Email == "" {
		return Request{}, ErrTokenGone
	}
	return r, nil
}

// TokenRequest is the request a raw token can still confirm, changing
// nothing (CheckToken, with the request).
func (s *Service) TokenRequest(ctx context.Context, raw string) (Request, error) {
	t, err := s.usableToken(ctx, raw)
	if err != nil {
		return Request{}, err
	}
	r, err := s.store.Get(ctx, t.RequestID)
	if fault.KindOf(err) == fault.NotFound {
		return Request{}, ErrTokenGone
	}
	return r, err
}
