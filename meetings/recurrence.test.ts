import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeRecurrence, recurrenceProblem } from './recurrence.ts';

// M8: a repeat rule's problem named in words a booker can act on (the rrule library said
// "Invalid frequency: undefined undefined" or "Cannot read properties of undefined").

test('rules that read as RRULEs pass', () => {
  for (const rule of ['FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10', 'RRULE:FREQ=DAILY', 'freq=weekly;byday=mo;', 'FREQ=MONTHLY;BYDAY=-1FR', 'FREQ=MONTHLY;BYMONTHDAY=-1', 'FREQ=YEARLY;UNTIL=20301231T235959Z', 'FREQ=WEEKLY;INTERVAL=2;WKST=SU', 'FREQ=SECONDLY']) {
    assert.equal(recurrenceProblem(rule), null, rule);
  }
});

test('each problem is named', () => {
  const cases: [string, RegExp][] = [
    ['FREQ=FORTNIGHTLY', /^"FORTNIGHTLY" is not a frequency: use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY\.$/],
    ['BYDAY=MO', /Say how often it repeats with FREQ/],
    ['', /Enter a repeat rule/],
    ['FREQ=WEEKLY;BYDAY=XX', /"XX" is not a weekday/],
    ['FREQ=MONTHLY;BYDAY=60MO', /1–53/],
    ['FREQ=WEEKLY;COUNT=0', /COUNT must be a whole number of at least 1, not "0"/],
    ['FREQ=WEEKLY;INTERVAL=x', /INTERVAL must be a whole number/],
    ['FREQ=WEEKLY;UNTIL=soon', /UNTIL must be a date such as 20261231/],
    ['FREQ=WEEKLY;COUNT=2;UNTIL=20260401', /COUNT or UNTIL, not both/],
    ['FREQ=DAILY;FOO=1', /"FOO=1" is not part of a repeat rule/],
    ['FREQ=DAILY;FREQ=WEEKLY', /FREQ is given twice/],
    ['FREQ=DAILY;COUNT', /COUNT has no value/],
    ['FREQ=MONTHLY;BYMONTHDAY=32', /BYMONTHDAY takes numbers from 1 to 31 \(or -31 to -1, counted from the end\), not "32"/],
    ['FREQ=YEARLY;BYMONTH=-1', /BYMONTH takes numbers from 1 to 12, not "-1"/],
    ['DTSTART=20260101T100000;FREQ=DAILY', /Leave out DTSTART and TZID/],
  ];
  for (const [rule, words] of cases) assert.match(recurrenceProblem(rule) ?? 'accepted', words, rule);
});

test('the stored rule is what the rrule library reads', () => {
  assert.equal(normalizeRecurrence(' RRULE:freq=weekly; byday=mo,we; '), 'FREQ=WEEKLY;BYDAY=MO,WE');
});
