import { describe, expect, it } from 'vitest';
import { planStepOutputs, renderStepOutputs } from '../../../src/ci/github-outputs.js';
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
});
