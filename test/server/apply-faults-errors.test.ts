import { applyFaultSuite } from '../harness/apply-fault-suite.js';

applyFaultSuite('apply with an error status or a reset connection at every write', [
  ['a 500 answer', { kind: 'status', status: 500, body: '{"error":"injected failure","status":500}' }],
  ['a connection reset', { kind: 'reset' }],
]);
