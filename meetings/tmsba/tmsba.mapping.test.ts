import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatUtc, parseUtc, patternToRrule, rruleToPattern, statusMatches, statusOf } from './tmsba.mapping.ts';

// #16: TMSBA's wire values and Switchboard's bookings, both ways.

const first = new Date('2026-03-03T09:00:00Z'); // a Tuesday, the 3rd

test('times: UTC with Z only, both spellings in; v14+ answers with a space, older versions with T', () => {
  assert.equal(parseUtc('2026-03-02 10:00:00Z', 'f').toISOString(), '2026-03-02T10:00:00.000Z');
  assert.equal(parseUtc('2026-03-02T10:00:00Z', 'f').toISOString(), '2026-03-02T10:00:00.000Z');
  assert.throws(() => parseUtc('2026-03-02 10:00:00', 'StartTimeUTC'), /StartTimeUTC must be a UTC time ending in Z/);
  assert.throws(() => parseUtc('2026-02-30 10:00:00Z', 'StartTimeUTC'), /not a date and time on the calendar/);
  assert.throws(() => parseUtc(undefined, 'EndTimeUTC'), /EndTimeUTC must be a UTC time/);
  assert.equal(formatUtc(new Date('2026-03-02T10:00:00.400Z'), 22), '2026-03-02 10:00:00Z');
  assert.equal(formatUtc(new Date('2026-03-02T10:00:00Z'), 13), '2026-03-02T10:00:00Z');
});

test('patterns become RRULEs, without TMS\'s 100-occurrence, yearly and never-ending limits', () => {
  const base = { Interval: 1, FirstDayOfWeek: 'Sunday', BySetPosition: 0, PatternInstances: 0 };
  assert.equal(patternToRrule({ ...base, FrequencyType: 'Daily', PatternEndType: 'EndByInstances', PatternInstances: 250 }, first), 'FREQ=DAILY;COUNT=250');
  assert.equal(patternToRrule({ ...base, FrequencyType: 'DailyWeekday', PatternEndType: 'EndNever' }, first), 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR');
  assert.equal(patternToRrule({ ...base, FrequencyType: 'Weekly', Interval: 2, DaysOfWeek: { DayOfWeek: ['Monday', 'Thursday'] }, FirstDayOfWeek: 'Monday', PatternEndType: 'EndByDate', PatternEndDateUTC: '2026-06-30 23:59:59Z' }, first), 'FREQ=WEEKLY;BYDAY=MO,TH;INTERVAL=2;WKST=MO;UNTIL=20260630T235959Z');
  assert.equal(patternToRrule({ ...base, FrequencyType: 'Weekly', PatternEndType: 'EndNever' }, first), 'FREQ=WEEKLY;BYDAY=TU', 'no days: the first meeting\'s');
  assert.equal(patternToRrule({ ...base, FrequencyType: 'Monthly', BySetPosition: -1, DaysOfWeek: { DayOfWeek: 'Friday' }, PatternEndType: 'EndNever' }, first), 'FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1');
  assert.equal(patternToRrule({ ...base, FrequencyType: 'Monthly', PatternEndType: 'EndNever' }, first), 'FREQ=MONTHLY;BYMONTHDAY=3');
  assert.equal(patternToRrule({ ...base, FrequencyType: 'Yearly', PatternEndType: 'EndNever' }, first), 'FREQ=YEARLY');
  assert.equal(patternToRrule({ ...base, FrequencyType: 'Default', PatternEndType: 'Default' }, first), undefined);
  assert.throws(() => patternToRrule({ ...base, FrequencyType: 'Hourly', PatternEndType: 'EndNever' }, first), /Hourly is not supported/);
  assert.throws(() => patternToRrule({ ...base, FrequencyType: 'Monthly', BySetPosition: 2, ByMonthDay: 5, DaysOfWeek: { DayOfWeek: 'Monday' }, PatternEndType: 'EndNever' }, first), /both BySetPosition and ByMonthDay/);
  assert.throws(() => patternToRrule({ ...base, FrequencyType: 'Weekly', DaysOfWeek: { DayOfWeek: ['Funday' as never] }, PatternEndType: 'EndNever' }, first), /day name/);
  assert.throws(() => patternToRrule({ ...base, FrequencyType: 'Daily', Interval: 0, PatternEndType: 'EndNever' }, first), /Interval/);
});

test('RRULEs read back as the patterns they came from', () => {
  assert.deepEqual(rruleToPattern('FREQ=WEEKLY;BYDAY=MO,TH;INTERVAL=2;WKST=MO;UNTIL=20260630T235959Z', first, 22), {
    FrequencyType: 'Weekly', Interval: 2, DaysOfWeek: { DayOfWeek: ['Monday', 'Thursday'] }, FirstDayOfWeek: 'Monday', BySetPosition: 0, PatternEndType: 'EndByDate', PatternEndDateUTC: '2026-06-30 23:59:59Z', PatternInstances: 0,
  });
  assert.deepEqual(rruleToPattern('FREQ=DAILY;COUNT=250', first, 22), { FrequencyType: 'Daily', Interval: 1, FirstDayOfWeek: 'Sunday', BySetPosition: 0, PatternEndType: 'EndByInstances', FirstOccurrenceRecInstanceIdUTC: '2026-03-03 09:00:00Z', PatternInstances: 250 });
  assert.equal(rruleToPattern('FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', first, 22).FrequencyType, 'DailyWeekday');
  assert.deepEqual(rruleToPattern('FREQ=MONTHLY;BYMONTHDAY=3', first, 22).ByMonthDay, 3);
  assert.equal(rruleToPattern('FREQ=MONTHLY;BYMONTHDAY=3', first, 14).ByMonthDay, undefined, 'ByMonthDay is a v22 element');
  assert.equal(rruleToPattern('FREQ=YEARLY', first, 22).PatternEndType, 'EndNever');
});

test('statuses and the ConferenceStatus filters', () => {
  assert.equal(statusOf('booked', 'scheduled'), 'Pending');
  assert.equal(statusOf('booked', 'ongoing'), 'Ongoing');
  assert.equal(statusOf('booked', 'ended'), 'Finished');
  assert.equal(statusOf('booked', 'cancelled'), 'Deleted');
  assert.equal(statusOf('cancelled', 'scheduled'), 'Deleted');
  assert.equal(statusOf('defective', 'defective'), 'Defective');
  assert.equal(statusMatches('AllExceptDeleted', 'Deleted'), false);
  assert.equal(statusMatches('PendingAndOngoing', 'Ongoing'), true);
  assert.equal(statusMatches('PendingAndOngoing', 'Finished'), false);
  assert.equal(statusMatches('All', 'Defective'), true);
  assert.equal(statusMatches('MeetingRequest', 'Pending'), false);
});
