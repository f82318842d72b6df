package deadline

import "time"

// AppealDays is how long the company gives itself to decide an appeal of a
// denied request, from the day it receives the appeal. The CCPA and its
// regulations require no appeal process; the company offers one to every
// requester and follows the state laws that do require one: Virginia gives
// 60 days (Va. Code §59.1-577(C)), Colorado 45 days, extendable by 60
// (Colo. Rev. Stat. §6-1-1306(3)(b)). The shorter period, without the
// extension, is the company's choice.
const AppealDays = 45

// AppealDue is the end of the day, in receivedAt's location, on which the
// decision on an appeal received at receivedAt is due: AppealDays calendar
// days counted as Due counts the 45 days of 11 CCR §7021(b), the day of
// receipt being day 1 (the earlier of the two readings).
func AppealDue(receivedAt time.Time) time.Time {
	return EndOfDay(receivedAt.AddDate(0, 0, AppealDays-1))
}

// AppealDue is AppealDue counted in the zone.
func (z Zone) AppealDue(receivedAt time.Time) time.Time {
	return AppealDue(z.In(receivedAt)).UTC()
}
