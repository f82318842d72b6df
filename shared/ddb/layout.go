package ddb

import (
	"fmt"
	"time"
)

// The table's layout: every item kind the package writes, its keys, the
// index keys it carries and how long it is kept. The table and its indexes
// are topology.PrivacyTable; the retention kinds and periods are
// shared/retention (the README's retention table is kept equal to it).
//
// Indexes (all keys are strings):
//
//	by-subject     gsi1pk/gsi1sk  projects all   requests only: SUBJ#<key> -> REQ#<id>
//	by-status-due  gsi2pk/gsi2sk  projects all   requests by status and due date; unsent mail;
//	                                             the notice roster (granted consents of addresses)
//	suppression    gsi3pk/gsi3sk  projects all   sparse: current sale/sharing opt-outs only
//	by-expiry      gsi4pk/gsi4sk  projects retention, expires_at, seq, hash, prev_hash, event, at
//	                                             sparse: every record with an expiry (see expiry)
//
// A record with an expiry carries retention, expires_at, the by-expiry keys
// (gsi4pk = EXP#<yyyy-mm-dd>#<shard>, gsi4sk = <expires_at>) and ttl =
// expiry + 30 days, DynamoDB's backstop should the sweep stop (ledger events
// carry no ttl: the sweep leaves a stub where TTL would leave a gap in the
// chain). A record kept "while in effect" carries none of them.
//
// Requests (requests.go):
//
//	request       PK=REQ#<id>  SK=REQ
//	              gsi1: SUBJ#<subject key> / REQ#<id>;  gsi2: STATUS#<status> / <due_at>#<id>
//	              expiry: none while open; closed_request from closing (11 CCR §7101: the
//	              request log is kept 24 months); unverified_request from its expiry unverified
//	audit event   PK=REQ#<id>  SK=EVENT#<event id (sorts by time)>
//	              no index; no expiry of its own: removed with its request
//	token         PK=TOKEN#<sha256 of the raw token>  SK=TOKEN
//	              no index; expiry: verification_token from creation
//	idempotency   PK=IDEM#<sha256 of subject key, NUL, the key>  SK=IDEM
//	              scoped by the submitter: another person's same key is another record
//	              no index; expiry: idempotency_record from creation
//	duplicate     PK=DEDUP#<subject key>#<sorted types, comma-separated>#<form digest>  SK=DEDUP
//	guard         the request a person's submission of those types made (submissions
//	              without an Idempotency-Key only); written in the request's transaction
//	              on the condition that none is there or it has expired, so of concurrent
//	              identical submissions one makes a request and the others answer with it
//	              no index; expiry: duplicate_guard (10 minutes) from the submission; the
//	              expiry is the end of the window and moves when a later request takes over
//
// The Data Rights Protocol (drp.go, shared/drp): an authorized agent's
// request is a request item like any other, with drp_agent,
// drp_agent_request_id, drp_callback (its status callback URL) and
// drp_redirect_origins (where the agent may ask the person be sent back to).
//
//	callback      PK=REQ#<id>  SK=CALLBACK#<event id>   the agent's status after a change of its
//	              protocol status, queued in the change's transaction (body: the Exercise
//	              Status JSON, url); status queued | delivered | failed | superseded (a later
//	              callback of the request exists; not posted), attempts, last_code,
//	              last_at, delivered_at
//	              gsi2: CALLBACKS#queued / <next attempt>#<request id>#<event id> while it
//	              waits; none once delivered or given up. No expiry of its own: goes with its request
//	agent token   PK=DRPTOKEN#<sha256 of the bearer token>  SK=DRPTOKEN   (agent_id, issued_at)
//	              replaced_at and ttl (a day later) once a later setup replaced it; no index
//	agent         PK=DRPAGENT#<agent id>  SK=DRPAGENT   the hash of its current token; no index; kept
//	replay mark   PK=DRPSEEN#<sha256 of a signed message>  SK=DRPSEEN   (agent_id, until)
//	              written on the condition that none is there (or it was released, released_at,
//	              when what the message asked for failed); no index; ttl a day after until
//
// Mail (outbox.go): one item per mail intent, in the partition of the record
// it belongs to (a request, a person, or the privacy team's digest):
//
//	mail          PK=REQ#<id> | SUBJ#<key> | TEAM#digest  SK=MAIL#<intent id>
//	              gsi2: OUTBOX#pending / <intent id> while unsent (removed once sent or held)
//	              expiry: unsent_mail from queueing; once sent, sent_mail from sending;
//	              once held over its recipient's cap, held_mail from holding;
//	              a request's mail also goes with its request
//	              recipient_key: the subject key of the recipient's address, on mail a
//	              stranger can cause (mail.LimitFor); recipient_owner = true instead when
//	              it is the partition's own key (SUBJ#<key>); the intent id is the sort
//	              key's (no id attribute); status queued | sending | sent | held |
//	              failed | undeliverable (the address was marked; kept like held mail)
//	              channel = sms on a text (to: the E.164 number; text_sha256: the hash of the
//	              exact text sent, written before sending); mail has none
//	mail counter  PK=MAILCAP#<recipient subject key>#<bucket>#<yyyy-mm-dd>  SK=MAILCAP
//	              (mailcap.go) the ids of the intents admitted that day (UTC) under the
//	              bucket's cap; an intent over the cap is held, never sent
//	              no index; expiry: mail_counter (2 days) from the start of its day
//
// A person's partition, under the keyed hash of an identifier (consent.go,
// optout.go, ledger.go, subjects.go):
//
//	consent state PK=SUBJ#<key>  SK=CONSENT#<purpose>
//	              gsi2 while granted to an email identifier: NOTICE#roster / <key>#<purpose>,
//	              with notify_to (the address) beside it: the notice roster (policy.go)
//	              expiry while not in effect (withdrawn, refused, pending):
//	              consent_evidence from that event (a pending grant: from its link lapsing);
//	              the expiry moves when a later event supersedes the state
//	ledger event  PK=SUBJ#<key>  SK=LEDGER#<seq, 12 digits>
//	              no index; consent events once superseded or withdrawn: consent_evidence
//	              (4 years, the TCPA's limitation period, 28 U.S.C. §1658), no ttl; the
//	              sweep replaces an expired event with a stub (event = pruned)
//	ledger head   PK=SUBJ#<key>  SK=LEDGER
//	              no index; kept while the ledger is (deleted by an erasure)
//	link          PK=SUBJ#<key>  SK=LINK#<other key>   (one per direction)
//	              evidence = claimed | proven | vouched (none on links written before: claimed);
//	              opt-outs spread over every link, export and erasure only over proven/vouched
//	              no index; kept while in effect (identifier_link)
//	opt-out       PK=SUBJ#<key>  SK=OPTOUT#<right>
//	              gsi3 (sale/sharing only): SUPPRESSED / <since>#<key>
//	              kept while in effect (11 CCR §7026: the person stays opted out)
//	erasure       PK=SUBJ#<key>  SK=ERASURE#<erased at>   (reason, actor: the staff principal)
//	              no index; expiry: erasure_record from the erasure
//	export        PK=SUBJ#<key>  SK=EXPORT#<exported at>#<actor hash>   (actor: the staff principal)
//	              no index; expiry: export_record from the export; an erasure keeps it
//	policy notice PK=SUBJ#<key>  SK=POLICYNOTICE#<version id>   (mail_id, at) written with the
//	              notice mail (MAIL# in the same partition) on the condition that none is
//	              there: one notice per person and version (policy.go)
//	              no index; expiry: policy_notice from the notice; an erasure keeps it
//	undeliverable PK=SUBJ#<email key>  SK=UNDELIVERABLE   (deliverability.go) the address's mark
//	              after a permanent bounce or a complaint: state (undeliverable | cleared), reason,
//	              subtype, event_at, marked_at, ses_message_id; events: SES's feedback ids recorded
//	              (an event delivered again changes nothing); clears: staff's clearings (at, actor,
//	              reason, was). The notifier reads it before each mail to the address
//	              no index; kept (an erasure keeps it: it names the address only by its keyed hash)
//	SMS code      PK=SUBJ#<phone key>  SK=SMSCODE   (smscode.go) the one-time code of a pending
//	              SMS marketing grant: its keyed hash (never the code), receipt, valid_until
//	              (10 minutes), tries of this code (5 at most) and of the number per UTC day
//	              (tries.d<yyyy-mm-dd>, 10 at most, kept across new codes), used_at once used
//	              no index; expiry: sms_code (24 hours) from the latest code
//
// Jobs that carry a right to the company's other systems (jobs.go,
// shared/reach), one per system and right, written in the transaction of
// the verification or the opt-out that invokes them:
//
//	job           PK=JOB#<job id>  SK=JOB
//	              gsi1: JOBS#<subject key> / <created>#<job id>   (a person's jobs)
//	              gsi2: JOBSEND#queued / <next attempt>#<id> while a webhook awaits delivery;
//	                    JOBS#open / <due>#<id> while told and unanswered; none once answered
//	              identifiers (what the system is told) until answered; callback_hashes: the
//	              SHA-256 of each delivery's callback token (any one answers the job, once)
//	              expiry: none while open; reach_job (24 months) from the answer
//	vendor mail   PK=JOB#<job id>  SK=MAIL#<intent id>   the notice to a vendor reached by
//	              mail, an outbox item like any other (see Mail)
//
// Catalogue (consent.go):
//
//	disclosure    PK=DISCLOSURE#<sha256 of the text>  SK=DISCLOSURE
//	              no index; kept while in effect (disclosure_text: consent evidence points to it)
//	confirm token PK=CTOKEN#<sha256 of the raw token>  SK=CTOKEN
//	              notify_to: the address the link went to (confirming puts the grant
//	              on the notice roster with it)
//	              no index; expiry: confirmation_token from creation
//
// The suppression feed for ad platforms (feed.go). Its entries are the
// suppression index's: an entry's version is its sort key position,
// <since>#<key>, written as the since stamp without separators, "-", and
// the first 16 hex digits of the key (20261130T085109123Z-0123456789abcdef):
// URL-safe, fixed width, so versions sort as the index does, and entries of
// the same millisecond (a profile opted out together) are told apart by
// key. "Entries after version V" is one Query of the index with gsi3sk >
// <since>#<prefix>~ ('~' sorts after every hex digit). The key prefix is
// not the person's full keyed hash; two keys of one millisecond sharing 64
// bits is the one way an entry could be skipped.
//
//	delivery      PK=FEED#<platform id>  SK=DELIVERY#<at>#<delivery id>   (platform, version,
//	              entries: the count delivered, actor: the staff principal)
//	              no index; expiry: feed_delivery from the delivery
//	latest        PK=FEED#<platform id>  SK=LATEST   a copy of the latest delivery, written in
//	              its transaction on the condition that its version is not later (a platform's
//	              version never moves back); no index; kept (the lag is counted from it)
//
// The privacy policy's register and its notices (policy.go, shared/policy):
//
//	version       PK=POLICY  SK=VERSION#<version id>   (effective_at, text_sha256, material,
//	              summary, published_at, actor: the staff principal); no index; kept
//	              (policy_version); written once, on the condition that the id is new
//	text          PK=POLICY  SK=TEXT#<version id>   the exact words, apart so that reading
//	              the register (every consent does) reads no text; kept likewise
//	latest        PK=POLICY  SK=LATEST   the id and effective_at of the version taking effect
//	              last, written in each publication's transaction on the condition that the
//	              new one takes effect later: the register only grows forward in time
//	notice run    PK=POLICY  SK=NOTICERUN#<published at>#<version id>   a material
//	              version's notice going out: cursor, queued, skipped, done_at; no index; kept
//
// Who a notice goes to is read without a scan from the by-status-due index:
// the roster partition NOTICE#roster (granted consents of email addresses;
// sort key <subject key>#<purpose>, an HMAC, so DynamoDB can split a hot
// partition on it, and a person's entries are adjacent), then each open
// status's STATUS#<status> partition (the open requests, which carry their
// address). A run reads at most a batch of entries per invocation, queues a
// notice per person not yet told (the POLICYNOTICE# record is the guard),
// and saves its cursor (the source and the last key read) conditionally, so
// a run cut short continues where it stopped and never mails twice. The
// cost is one index read per entry and one two-item transaction per notice.
//
//	report        PK=SWEEPS  SK=RUN#<run id>
//	              no index; expiry: sweep_report from the run's start
//	checkpoint    PK=SWEEPS  SK=SHARD#<n>   the last expiry day the shard swept clean
//	              no index; kept (one per shard)
//	lease         PK=SWEEPS  SK=LOCK        the run going on
//	              no index; deleted when the run ends, taken over once it lapses
//	step note     PK=SWEEPS  SK=PENDING#<run id>#<step id>   the records a step removes
//	              (their kinds and keys, deflated: keys, under 1 KB; a step whose keys
//	              would not fit is cut in two)
//	              no index; deleted with the step's counts, or by the next run

// Partition key prefixes and fixed partitions.
const (
	prefixRequest      = "REQ#"
	prefixToken        = "TOKEN#"
	prefixIdem         = "IDEM#"
	prefixSubject      = "SUBJ#"
	prefixDisclosure   = "DISCLOSURE#"
	prefixConfirmToken = "CTOKEN#"
	prefixTeam         = "TEAM#"
	prefixMailCap      = "MAILCAP#"
	prefixDedup        = "DEDUP#"
	prefixFeed         = "FEED#"
	policyPK           = "POLICY"
	teamDigestPK       = prefixTeam + "digest"
	sweepsPK           = "SWEEPS"
)

// Sort keys and their prefixes.
const (
	sortRequest      = "REQ"
	prefixEvent      = "EVENT#"
	prefixMail       = "MAIL#"
	sortToken        = "TOKEN"
	sortIdem         = "IDEM"
	sortConsent      = "CONSENT#"
	sortLedger       = "LEDGER#"
	sortHead         = "LEDGER"
	sortLink         = "LINK#"
	sortOptOut       = "OPTOUT#"
	sortErasure      = "ERASURE#"
	sortExport       = "EXPORT#"
	sortDisclosure   = "DISCLOSURE"
	sortConfirmToken = "CTOKEN"
	prefixRun        = "RUN#"
	prefixCP         = "SHARD#"
	prefixPending    = "PENDING#"
	sortLock         = "LOCK"
	sortMailCap      = "MAILCAP"
	sortDedup        = "DEDUP"
	sortSMSCode      = "SMSCODE"
	prefixDelivery   = "DELIVERY#"
	sortFeedLatest   = "LATEST"
	// The policy register's.
	prefixPolicyVersion = "VERSION#"
	prefixPolicyText    = "TEXT#"
	sortPolicyLatest    = "LATEST"
	prefixNoticeRun     = "NOTICERUN#"
	prefixPolicyNotice  = "POLICYNOTICE#"
)

// Kinds of the items the caps, the duplicate guard and the feed write.
const (
	kindMailCounter   = "mail_counter"
	kindDedup         = "dedup"
	kindFeedDelivery  = "feed_delivery"
	kindFeedLatest    = "feed_latest"
	kindPolicyVersion = "policy_version"
	kindPolicyText    = "policy_text"
	kindPolicyLatest  = "policy_latest"
	kindNoticeRun     = "policy_notice_run"
	kindPolicyNotice  = "policy_notice"
)

// Index partition keys.
const (
	prefixStatus  = "STATUS#"        // by-status-due: requests by status
	outboxPending = "OUTBOX#pending" // by-status-due: unsent mail
	suppressionPK = "SUPPRESSED"     // suppression
	prefixExpiry  = "EXP#"           // by-expiry: EXP#<day>#<shard>
	rosterPK      = "NOTICE#roster"  // by-status-due: granted consents of email addresses
)

// expiryDay is the by-expiry partition's day of an expiry (UTC).
const expiryDay = "2006-01-02"

// eventPruned is the event of a ledger stub.
const eventPruned = "pruned"

// ledgerSort is the sort key of a ledger event: fixed width, so events sort
// by sequence.
func ledgerSort(seq int64) string { return fmt.Sprintf("%s%012d", sortLedger, seq) }

// queueKey sorts the staff queue by due date; the id breaks ties.
func queueKey(due time.Time, id string) string {
	return stamp(due) + "#" + id
}

// checkpointSort is the sort key of a shard's sweep checkpoint.
func checkpointSort(shard int) string { return fmt.Sprintf("%s%d", prefixCP, shard) }
