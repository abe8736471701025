/**
 * The environment is declared once (shared/config-schema.ts); the README's
 * configuration table and infra/env-contract.json are generated from it and
 * may not drift, and loadConfig validates what it declares.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkContractMatchesSchema, renderEnvContract } from '../../scripts/deploy-checks/env-contract.ts';
import { generatedEnvDocs, renderEnvTable } from '../../scripts/docs-env.ts';
import { ENV_NAMES, envVar } from '../../shared/config-schema.ts';
import { ConfigError, CONFIG_ENV_NAMES, readEnvVar } from '../../shared/config.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

describe('env docs: generated from shared/config-schema.ts', () => {
  for (const [file, expected] of generatedEnvDocs(ROOT)) {
    it(`${file} is what the schema generates (else: npm run docs:env)`, () => {
      expect(read(file) === expected, `${file} differs from shared/config-schema.ts: run npm run docs:env`).to.equal(true);
    });
  }

  it('the README table has a row for every variable an operator sets, and none for Cloud Run\'s own', () => {
    const table = renderEnvTable();
    for (const name of ENV_NAMES) expect(table.includes(`| \`${name}\` |`), name).to.equal(envVar(name).platform !== true);
    expect(read('README.md')).to.include(table);
  });

  it('a hand edit of the contract is a check:deploy finding', () => {
    const edited = renderEnvContract().replace('"name": "GCS_BUCKET", "orchestrator": "required"', '"name": "GCS_BUCKET", "orchestrator": "optional"');
    expect(checkContractMatchesSchema(renderEnvContract())).to.deep.equal([]);
    const [finding] = checkContractMatchesSchema(edited);
    expect(finding?.check).to.equal('infra.contract-generated');
    expect(finding?.message).to.include('GCS_BUCKET');
  });

  it('every variable is declared with a doc and a process that reads it; CONFIG_ENV_NAMES is the schema', () => {
    expect(CONFIG_ENV_NAMES).to.deep.equal(ENV_NAMES);
    for (const name of ENV_NAMES) {
      const spec = envVar(name);
      expect(spec.doc.length, name).to.be.greaterThan(5);
      expect(spec.orchestrator !== undefined || spec.job !== undefined, name).to.equal(true);
    }
  });
});

describe('env schema: validation derived from the declaration', () => {
  const bad = (name: Parameters<typeof readEnvVar>[1], value: string): ConfigError => {
    try {
      readEnvVar({ [name]: value }, name);
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    throw new Error(`${name}=${value} was accepted`);
  };

  it('unset or blank is the declared default; a value is trimmed and parsed', () => {
    expect(readEnvVar({}, 'NODE_CONCURRENCY')).to.equal(4);
    expect(readEnvVar({ NODE_CONCURRENCY: '  ' }, 'NODE_CONCURRENCY')).to.equal(4);
    expect(readEnvVar({ NODE_CONCURRENCY: ' 9 ' }, 'NODE_CONCURRENCY')).to.equal(9);
    expect(readEnvVar({}, 'GCS_BUCKET')).to.equal(null);
    expect(readEnvVar({ ALLOW_REQUEST_GEMINI_KEY: 'YES' }, 'ALLOW_REQUEST_GEMINI_KEY')).to.equal(true);
    expect(readEnvVar({ GEMINI_BASE_URL: 'http://127.0.0.1:9/' }, 'GEMINI_BASE_URL')).to.equal('http://127.0.0.1:9');
    expect(readEnvVar({ RUNS_PREFIX: '/a/b/' }, 'RUNS_PREFIX')).to.equal('a/b');
  });

  it('a bad value is one line naming the variable', () => {
    expect(bad('NODE_CONCURRENCY', 'many').message).to.equal('NODE_CONCURRENCY: must be an integer (got "many")');
    expect(bad('PORT', '70000').message).to.equal('PORT: must be between 0 and 65535 (got 70000)');
    expect(bad('RUN_STORE', 's3').message).to.equal('RUN_STORE: must be one of local, gcs (got "s3")');
    expect(bad('GCS_BUCKET', 'Bad_Bucket!').message).to.equal('GCS_BUCKET: is not a valid bucket name');
  });
});
