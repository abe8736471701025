/**
 * The architecture rules lint keeps (eslint.config.js) really fail: each
 * planted violation is linted with the repo's own config and must be reported
 * as an error by the rule that owns it, and clean code must pass. Planted
 * sources are linted as text at paths inside the real folders (they never
 * exist on disk; the project service is told to accept exactly those paths),
 * except the import cycle, whose two modules must exist to be followed: they
 * live in test/fixtures/lint-rules/, which the repo's lint run ignores.
 */
import { expect } from 'chai';
import path from 'node:path';
import { ESLint, type Linter } from 'eslint';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/lint-rules');

const PLANTED = [
  'orchestrator/lint-planted.ts',
  'job-runner/lint-planted.ts',
  'job-runner/nodes/lint-planted.ts',
  'shared/store/lint-planted.ts',
  'shared/store/gcs-lint-planted.ts',
  'shared/llm/lint-planted.ts',
  'test/unit/lint-planted.ts',
] as const;
type PlantedPath = (typeof PLANTED)[number];

describe('lint rules (eslint.config.js)', function () {
  // The first lint builds the TypeScript program the typed rules need.
  this.timeout(120_000);

  let eslint: ESLint;
  before(() => {
    eslint = new ESLint({
      cwd: ROOT,
      // The fixtures folder is ignored by the repo's lint run; here it is linted on purpose.
      ignore: false,
      overrideConfig: {
        files: ['**/*.ts'],
        languageOptions: { parserOptions: { projectService: { allowDefaultProject: [...PLANTED] } } },
      },
    });
  });

  const lintAt = async (filePath: PlantedPath, code: string): Promise<Linter.LintMessage[]> => {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
    return result?.messages ?? [];
  };

  /** The rules that reported an error, once each. */
  const errorsOf = (messages: Linter.LintMessage[]): string[] =>
    [...new Set(messages.filter((m) => m.severity === 2).map((m) => m.ruleId ?? `fatal: ${m.message}`))];

  it('an import cycle between two modules fails (import-x/no-cycle)', async () => {
    const results = await eslint.lintFiles([path.join(FIXTURES, 'cycle-a.ts'), path.join(FIXTURES, 'cycle-b.ts')]);
    expect(results).to.have.length(2);
    for (const result of results) expect(errorsOf(result.messages), result.filePath).to.deep.equal(['import-x/no-cycle']);
  });

  it('orchestrator/ importing job-runner/ fails, and the other way round', async () => {
    const there = await lintAt('orchestrator/lint-planted.ts', "import { openJob } from '../job-runner/compose.ts';\n\nexport const open = openJob;\n");
    expect(errorsOf(there)).to.deep.equal(['import-x/no-restricted-paths']);
    const back = await lintAt('job-runner/lint-planted.ts', "import { createApp } from '../orchestrator/app.ts';\n\nexport const app = createApp;\n");
    expect(errorsOf(back)).to.deep.equal(['import-x/no-restricted-paths']);
  });

  it('a node importing the store fails (nodes return outputs)', async () => {
    const messages = await lintAt('job-runner/nodes/lint-planted.ts', "import { keys } from '../../shared/store/keys.ts';\n\nexport const k = keys;\n");
    expect(errorsOf(messages)).to.deep.equal(['import-x/no-restricted-paths']);
  });

  it('shared/store importing a caller fails', async () => {
    const orchestrator = await lintAt('shared/store/lint-planted.ts', "import { createApp } from '../../orchestrator/app.ts';\n\nexport const app = createApp;\n");
    expect(errorsOf(orchestrator)).to.deep.equal(['import-x/no-restricted-paths']);
    const bus = await lintAt('shared/store/lint-planted.ts', "import { getNoopPublisher } from '../events-bus/event-publisher.ts';\n\nexport const p = getNoopPublisher;\n");
    expect(errorsOf(bus)).to.deep.equal(['import-x/no-restricted-paths']);
  });

  it('shared/llm importing job-runner/ fails (adapters know nothing of the pipeline)', async () => {
    const messages = await lintAt('shared/llm/lint-planted.ts', "import { NODES } from '../../job-runner/nodes/index.ts';\n\nexport const n = NODES;\n");
    expect(errorsOf(messages)).to.deep.equal(['import-x/no-restricted-paths']);
  });

  it('a Google client outside its adapter fails, statically or by a dynamic import', async () => {
    const outside = await lintAt('orchestrator/lint-planted.ts', "import { Storage } from '@google-cloud/storage';\n\nexport const s = Storage;\n");
    expect(errorsOf(outside)).to.deep.equal(['no-restricted-imports']);
    const subpath = await lintAt('orchestrator/lint-planted.ts', "import type { File } from '@google-cloud/storage/build/cjs/src/index.js';\n\nexport type F = File;\n");
    expect(errorsOf(subpath)).to.deep.equal(['no-restricted-imports']);
    const dynamic = await lintAt('orchestrator/lint-planted.ts', "export const load = async (): Promise<unknown> => import('@google-cloud/storage');\n");
    expect(errorsOf(dynamic)).to.deep.equal(['no-restricted-syntax']);
    // An adapter may import its own client only.
    const otherClient = await lintAt('shared/store/gcs-lint-planted.ts', "import { PubSub } from '@google-cloud/pubsub';\n\nexport const p = PubSub;\n");
    expect(errorsOf(otherClient)).to.deep.equal(['no-restricted-imports']);
  });

  it('clean code passes: an adapter with its client, the orchestrator on the core, a test on a real client', async () => {
    expect(await lintAt('shared/store/gcs-lint-planted.ts', "import { Storage } from '@google-cloud/storage';\n\nexport const s = Storage;\n")).to.deep.equal([]);
    expect(await lintAt('orchestrator/lint-planted.ts', "import { isTerminal } from '../shared/domain/run-state.ts';\n\nexport const done = isTerminal('succeeded');\n")).to.deep.equal([]);
    expect(await lintAt('test/unit/lint-planted.ts', "import { Storage } from '@google-cloud/storage';\n\nexport const s = Storage;\n")).to.deep.equal([]);
  });

  it('a product function over 120 lines is reported (a warning until the long functions are split)', async () => {
    const body = Array.from({ length: 121 }, (_, i) => `  total += ${i};`).join('\n');
    const messages = await lintAt('orchestrator/lint-planted.ts', `export function long(): number {\n  let total = 0;\n${body}\n  return total;\n}\n`);
    expect(messages.map((m) => [m.ruleId, m.severity])).to.deep.equal([['max-lines-per-function', 1]]);
  });
});
