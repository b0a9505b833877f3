/** Exit codes, as Terraform's -detailed-exitcode: CI steps branch on them. */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  CHANGES: 2,
} as const;
