import { applyFaultSuite } from '../harness/apply-fault-suite.js';

applyFaultSuite('apply with a lost answer or a time-out at every write', [
  // The write lands, but the answer never comes back: the tool cannot know, and must still restore.
  ['a lost answer', { kind: 'lost-response' }],
  ['a time-out', { kind: 'hang' }],
]);
