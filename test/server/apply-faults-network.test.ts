import { applyFaultSuite } from '../harness/apply-fault-suite.js';

applyFaultSuite('apply with a lost answer or a time-out at every write', [
  // The write lands, but the answer never comes back: the tool cannot know, and must still restore.
  ['a lost answer', { kind: 'lost-response' }],
  // Each case waits out the 2 s time-out: two lanes of 15.
  ['a time-out', { kind: 'hang' }, 2],
]);
