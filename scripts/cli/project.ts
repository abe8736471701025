/** `scenarioforge project <events.jsonl>`: fold a log file and print its run.json. */
import { readFile } from 'node:fs/promises';
import stableStringify from 'fast-json-stable-stringify';
import { project } from '../../shared/domain/run-state.ts';
import { parseLog } from '../../shared/store/event-log.ts';

export async function projectCommand(args: { file: string; compact: boolean }): Promise<string> {
  const text = await readFile(args.file, 'utf8');
  // The same parse the stores use: a torn last line and malformed lines are not events.
  const state = project(parseLog(text).events);
  const stable = stableStringify(state);
  return args.compact ? stable : JSON.stringify(JSON.parse(stable), null, 2);
}
