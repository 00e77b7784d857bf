import { labArea } from '../lab/lab.area.ts';
import { meetingsArea } from '../meetings/meetings.area.ts';
import { partnerArea } from '../partner/partner.area.ts';
import { licensingArea } from '../licensing/licensing.area.ts';
import type { AreaFactory } from '../platform/area.ts';

// Every area that `switchboard start` runs, in start order (the Lab first: areas register its
// simulators). Adding an area is one line here.
export const areaFactories: AreaFactory[] = [
  labArea,
  meetingsArea,
  partnerArea,
  licensingArea,
];
