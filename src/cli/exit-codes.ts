/** Exit codes, as Terraform's -detailed-exitcode: CI steps branch on them. */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  CHANGES: 2,
  /** apply: the change is applied, but a node did not converge or failed a smoke check (DG3201). */
  NOT_CONVERGED: 3,
  /** Stopped by SIGINT or SIGTERM (128 + 2, as a shell reports a Ctrl-C), after saying where the cluster is. */
  INTERRUPTED: 130,
} as const;
