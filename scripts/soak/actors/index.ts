/**
 * Every actor of the soak, one line each. The load workers draw among the
 * actions in this order (the order the seeded draws were made in); the loops
 * start after the workers.
 */
import type { Actor } from './actor.ts';
import { builder } from './builder.ts';
import { canceller } from './canceller.ts';
import { deleter } from './deleter.ts';
import { killer } from './killer.ts';
import { artifactReader, eventsReader, lister, miscReader, runReader } from './readers.ts';
import { reaper } from './reaper.ts';
import { refresher } from './refresher.ts';
import { restarter } from './restarter.ts';
import { resumer } from './resumer.ts';
import { retrier } from './retrier.ts';
import { watcher } from './watcher.ts';

export const ACTORS: readonly Actor[] = [
  builder,
  runReader,
  eventsReader,
  artifactReader,
  lister,
  miscReader,
  retrier,
  canceller,
  deleter,
  watcher,
  resumer,
  refresher,
  killer,
  reaper,
  restarter,
];
