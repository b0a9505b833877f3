import { describe, expect, it } from 'vitest';
import { ciModeFrom } from '../../../src/ci/ci-mode.js';

describe('the CI mode', () => {
  it('is --ci when given, else GitHub Actions or GitLab CI by the variables they set, else none', () => {
    expect(ciModeFrom(undefined, { GITHUB_ACTIONS: 'true' })).toBe('github');
    expect(ciModeFrom(undefined, { GITLAB_CI: 'true' })).toBe('gitlab');
    expect(ciModeFrom(undefined, { CI: 'true' })).toBe('none');
    expect(ciModeFrom(undefined, { GITHUB_ACTIONS: 'false' })).toBe('none');
    expect(ciModeFrom('none', { GITHUB_ACTIONS: 'true' })).toBe('none');
    expect(ciModeFrom('github', {})).toBe('github');
  });
});
