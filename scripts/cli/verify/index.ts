/** The checklist, in the order it runs (a check may need facts only from checks above it). */
import { buildNeedsKey, keyListsRuns } from './auth.ts';
import { buildStarts, forceMakesNew, sameParamsReuse } from './build.ts';
import type { VerifyCheck } from './check.ts';
import { cleanup, deletedRefused, deletedUnlisted, deleteRun } from './delete.ts';
import { healthAnswers, keySourceNamed, storageIsGcs } from './health.ts';
import { artifactsLoad, eventsLoad, pageLoads, runJsonLoads } from './public-reads.ts';
import { lastAttemptsShown, succeededNodeRefused } from './retry.ts';
import { runSucceeds } from './run-completes.ts';

export const CHECKS: readonly VerifyCheck[] = [
  healthAnswers,
  storageIsGcs,
  keySourceNamed,
  buildNeedsKey,
  keyListsRuns,
  buildStarts,
  sameParamsReuse,
  forceMakesNew,
  runSucceeds,
  pageLoads,
  runJsonLoads,
  eventsLoad,
  artifactsLoad,
  lastAttemptsShown,
  succeededNodeRefused,
  deleteRun,
  deletedUnlisted,
  deletedRefused,
  cleanup,
];
