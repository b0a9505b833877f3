import { describe, expect, it } from 'vitest';
import {
  applyStepOutputs,
  planStepOutputs,
  renderApplySummary,
  renderStepOutputs,
} from '../../../src/ci/github-outputs.js';
import type { Plan } from '../../../src/plan/plan.js';

// The format of $GITHUB_OUTPUT is GitHub's "Setting an output parameter": `name=value` lines, and for a
// value over several lines `name<<DELIMITER`, the value, and the delimiter (actions/toolkit file-command.ts).
describe('GitHub step outputs', () => {
  it('one line per value; the delimiter form for a value that spans lines', () => {
    expect(
      renderStepOutputs(
        [
          ['has-changes', 'true'],
          ['plan-path', ''],
          ['notes', 'one\ntwo'],
        ],
        'ghadelimiter_1234',
      ),
    ).toBe('has-changes=true\nplan-path=\nnotes<<ghadelimiter_1234\none\ntwo\nghadelimiter_1234\n');
  });

  it('refuses a value that holds the delimiter, which would end it early', () => {
    expect(() => renderStepOutputs([['x', 'a\nEOF\nb']], 'EOF')).toThrow(/delimiter EOF occurs in output 'x'/);
  });

  it("a plan's outputs: changes, counts summed over targets, the one version, the saved plan", () => {
    const plan = (create: number, update: number, del: number, version: string) =>
      ({
        summary: { create, update, delete: del },
        changes: Array.from({ length: create + update + del }, () => ({})),
        desired: { version },
      }) as unknown as Plan;
    expect(renderStepOutputs(planStepOutputs([plan(2, 1, 0, 'sha256:ab')], 'out/plan.json'), 'D')).toBe(
      'has-changes=true\ncreate=2\nupdate=1\ndelete=0\ndesired-version=sha256:ab\nplan-path=out/plan.json\n',
    );
    expect(renderStepOutputs(planStepOutputs([plan(0, 0, 0, 'a'), plan(0, 0, 3, 'b')], undefined), 'D')).toBe(
      'has-changes=true\ncreate=0\nupdate=0\ndelete=3\ndesired-version=\nplan-path=\n',
    );
    expect(planStepOutputs([plan(0, 0, 0, 'a')], undefined)[0]).toEqual(['has-changes', 'false']);
  });

  it("an apply's outputs and summary: what it changed, per target, with the release that records it", () => {
    const applied = (target: string | undefined, create: number, del: number, version: string, release: number) => ({
      target,
      release,
      plan: {
        summary: { create, update: 0, delete: del },
        desired: { version },
        cluster: { adminUrl: `http://${target ?? 'node'}:9080` },
      } as unknown as Plan,
    });
    const one = [applied(undefined, 4, 1, 'sha256:aa', 7)];
    expect(renderStepOutputs(applyStepOutputs(one), 'D')).toBe(
      'applied=true\ncreate=4\nupdate=0\ndelete=1\ndesired-version=sha256:aa\nrelease=7\n',
    );
    expect(renderApplySummary(one, 'config/')).toBe(
      '### dgate-cli apply for `config/`\n\n- **Applied** to `http://node:9080`: 4 created, 0 updated, 1 deleted · desired `sha256:aa` · release 7\n',
    );
    const two = [applied('eu', 1, 0, 'sha256:bb', 3), applied('us', 2, 0, 'sha256:cc', 9)];
    expect(renderStepOutputs(applyStepOutputs(two), 'D')).toBe(
      'applied=true\ncreate=3\nupdate=0\ndelete=0\ndesired-version=\nrelease=\n',
    );
    expect(renderApplySummary(two, 'c')).toContain('- **Applied** to `http://us:9080` (target `us`): 2 created');
    expect(renderStepOutputs(applyStepOutputs([]), 'D')).toBe(
      'applied=false\ncreate=0\nupdate=0\ndelete=0\ndesired-version=\nrelease=\n',
    );
    expect(renderApplySummary([], 'c')).toBe(
      '### dgate-cli apply for `c`\n\n_No changes: the cluster already matched the config; nothing was applied._\n',
    );
  });
});
