package phone

import (
	"regexp"
	"sort"
	"strconv"
	"sync"
)

// The types of metadata.go (cmd/phonetables). The reading and validation
// below follow libphonenumber's (Parse and IsValidNumber), step for step, for
// numbers typed with digits, a leading plus and the usual separators;
// metadata_test.go checks them against that library on a large sample.

// callingCode is a country calling code and its regions, the main one first.
type callingCode struct {
	cc      int
	regions []string
}

// plan is the numbering plan of a region or of a non-geographic entity.
type plan struct {
	id                 string
	cc                 int
	idd                string // international (IDD) prefix, a pattern
	nationalPrefix     string // national prefix for parsing, a pattern
	transform          string // replaces the national prefix where set
	leading            string // leading digits of a region sharing its code
	sameMobileAndFixed bool
	general            *numberDesc
	localOnly          []int32
	// types are premium rate, toll free, shared cost, VoIP, personal,
	// pager, UAN and voicemail, in the order libphonenumber tries them.
	types             [8]*numberDesc
	fixedLine, mobile *numberDesc
}

// numberDesc is the pattern and possible lengths of a kind of number.
type numberDesc struct {
	pattern string
	lengths []int32
}

// regionPlan is the plan of a region, nil for a code that is none (the
// tables are sorted: a binary search, and no map built at start).
func regionPlan(id string) *plan {
	i := sort.Search(len(regions), func(i int) bool { return regions[i].id >= id })
	if i < len(regions) && regions[i].id == id {
		return &regions[i]
	}
	return nil
}

// nonGeographicPlan is the plan of a non-geographic calling code.
func nonGeographicPlan(cc int) *plan {
	i := sort.Search(len(nonGeographic), func(i int) bool { return nonGeographic[i].cc >= cc })
	if i < len(nonGeographic) && nonGeographic[i].cc == cc {
		return &nonGeographic[i]
	}
	return nil
}

// regionsOf is the regions of a calling code, nil for one that does not
// exist.
func regionsOf(cc int) []string {
	i := sort.Search(len(callingCodes), func(i int) bool { return callingCodes[i].cc >= cc })
	if i < len(callingCodes) && callingCodes[i].cc == cc {
		return callingCodes[i].regions
	}
	return nil
}

// planOf is the plan of a region, or of the non-geographic entity ("001")
// of calling code cc.
func planOf(cc int, region string) *plan {
	if region == "001" {
		return nonGeographicPlan(cc)
	}
	return regionPlan(region)
}

// Patterns are compiled when first used, once each: a cold start compiles
// none, and a number compiles only those of its plans.
var (
	compiledMu sync.Mutex
	compiled   = map[string]*regexp.Regexp{}
)

func pattern(p string) *regexp.Regexp {
	compiledMu.Lock()
	defer compiledMu.Unlock()
	re, ok := compiled[p]
	if !ok {
		re = regexp.MustCompile(p)
		compiled[p] = re
	}
	return re
}

// whole says whether p matches all of s.
func whole(p, s string) bool { return pattern("^(?:" + p + ")$").MatchString(s) }

// matches says whether national number n is of the kind d.
func (d *numberDesc) matches(n string) bool {
	if d == nil {
		return false
	}
	if len(d.lengths) > 0 && !contains(d.lengths, len(n)) {
		return false
	}
	return whole(d.pattern, n)
}

func contains(ls []int32, n int) bool {
	for _, l := range ls {
		if int(l) == n {
			return true
		}
	}
	return false
}

// valid says whether national number n is a number of the plan: of its
// general pattern and of some kind of number.
func (p *plan) valid(n string) bool {
	if !p.general.matches(n) {
		return false
	}
	for _, d := range p.types {
		if d.matches(n) {
			return true
		}
	}
	return p.fixedLine.matches(n) || (!p.sameMobileAndFixed && p.mobile.matches(n))
}

// lengthFit is libphonenumber's testNumberLength for a number of unknown type.
type lengthFit int

const (
	possible lengthFit = iota
	localOnly
	tooShort
	tooLong
	invalidLength
)

func (p *plan) fit(n string) lengthFit {
	ls := p.general.lengths
	if len(ls) == 0 || ls[0] == -1 {
		return invalidLength
	}
	l := int32(len(n))
	switch {
	case contains(p.localOnly, len(n)):
		return localOnly
	case ls[0] == l:
		return possible
	case ls[0] > l:
		return tooShort
	case ls[len(ls)-1] < l:
		return tooLong
	case contains(ls[1:], len(n)):
		return possible
	}
	return invalidLength
}

// stripNationalPrefix removes the national prefix (and carrier code) from
// national number n, unless n was a number of the plan and would no longer
// be one.
func (p *plan) stripNationalPrefix(n string) string {
	if n == "" || p.nationalPrefix == "" {
		return n
	}
	re := pattern("^(?:" + p.nationalPrefix + ")")
	groups := re.FindStringSubmatchIndex(n)
	if groups == nil {
		return n
	}
	viable := whole(p.general.pattern, n)
	last := len(groups)/2 - 1
	if p.transform == "" || groups[last*2] < 0 {
		if viable && !whole(p.general.pattern, n[groups[1]:]) {
			return n
		}
		return n[groups[1]:]
	}
	t := re.ReplaceAllString(n, p.transform)
	if viable && !whole(p.general.pattern, t) {
		return n
	}
	return t
}

// regionOf is the region of a valid number of calling code cc, national
// number n: the only one of its code, or the first whose leading digits or
// kinds of number it fits; "" for none.
func regionOf(cc int, n string) string {
	rs := regionsOf(cc)
	if len(rs) == 1 {
		return rs[0]
	}
	for _, r := range rs {
		p := regionPlan(r)
		if p == nil {
			continue
		}
		if p.leading != "" {
			if pattern("^(?:" + p.leading + ")").MatchString(n) {
				return r
			}
		} else if p.valid(n) {
			return r
		}
	}
	return ""
}

// countryCode reads the calling code at the start of digits: the code and
// the national number after it, or 0.
func countryCode(digits string) (int, string) {
	if digits == "" || digits[0] == '0' {
		return 0, ""
	}
	for i := 1; i <= 3 && i <= len(digits); i++ {
		cc, _ := strconv.Atoi(digits[:i])
		if regionsOf(cc) != nil {
			return cc, digits[i:]
		}
	}
	return 0, ""
}
