/** What every deploy check returns: none means pass. */
export interface Finding {
  /** The file the finding is about (repo-relative). */
  file: string;
  /** Stable id of the check that failed, e.g. `dockerfile.user`. */
  check: string;
  message: string;
}
