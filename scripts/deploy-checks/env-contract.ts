/**
 * infra/env-contract.json: the list of environment variables and who provides
 * each in the cloud. It is generated from the one declaration,
 * shared/config-schema.ts (`npm run docs:env`), and checked against it here;
 * the infra and source checks then read it like any other deploy file.
 */
import { CLOUD_LEVELS, ENV_NAMES, envVar, type CloudLevel, type EnvProcess } from '../../shared/config-schema.ts';
import type { Finding } from './finding.ts';

export type Level = CloudLevel;
export type Process = EnvProcess;
const LEVELS = Object.keys(CLOUD_LEVELS) as readonly Level[];
const PROCESSES: readonly Process[] = ['orchestrator', 'job'];

export interface ContractVar {
  name: string;
  orchestrator?: Level;
  job?: Level;
  secret?: boolean;
  cloudValue?: string;
  sameInBoth?: boolean;
  doc: string;
}
export interface EnvContract { vars: ContractVar[]; notEnvNames: string[] }

/** Reads infra/env-contract.json, rejecting a malformed one. */
export function parseEnvContract(text: string): EnvContract {
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== 'object' || raw === null || !('vars' in raw) || !Array.isArray(raw.vars)) throw new Error('env-contract.json: "vars" must be an array');
  const vars: ContractVar[] = [];
  const seen = new Set<string>();
  for (const v of raw.vars as unknown[]) {
    if (typeof v !== 'object' || v === null) throw new Error('env-contract.json: every var is an object');
    const rec = v as Record<string, unknown>;
    const name = rec['name'];
    if (typeof name !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`env-contract.json: bad name ${String(name)}`);
    if (seen.has(name)) throw new Error(`env-contract.json: ${name} listed twice`);
    seen.add(name);
    const entry: ContractVar = { name, doc: typeof rec['doc'] === 'string' ? rec['doc'] : '' };
    for (const p of PROCESSES) {
      const level = rec[p];
      if (level === undefined) continue;
      if (typeof level !== 'string' || !(LEVELS as readonly string[]).includes(level)) throw new Error(`env-contract.json: ${name}.${p} must be one of ${LEVELS.join(', ')}`);
      entry[p] = level as Level;
    }
    if (entry.orchestrator === undefined && entry.job === undefined) throw new Error(`env-contract.json: ${name} is read by no process`);
    if (rec['secret'] === true) entry.secret = true;
    if (rec['sameInBoth'] === true) entry.sameInBoth = true;
    if (typeof rec['cloudValue'] === 'string') entry.cloudValue = rec['cloudValue'];
    if (!entry.doc) throw new Error(`env-contract.json: ${name} has no doc`);
    vars.push(entry);
  }
  let notEnvNames: string[] = [];
  if ('notEnvNames' in raw && typeof raw.notEnvNames === 'object' && raw.notEnvNames !== null && 'names' in raw.notEnvNames && Array.isArray(raw.notEnvNames.names)) {
    notEnvNames = (raw.notEnvNames.names as unknown[]).filter((x): x is string => typeof x === 'string');
  }
  return { vars, notEnvNames };
}

/** The contract's path in the repository. */
export const ENV_CONTRACT_PATH = 'infra/env-contract.json';

/** The default as people read it, or undefined when there is none (an empty default is none). */
export function defaultText(name: (typeof ENV_NAMES)[number]): string | undefined {
  const spec = envVar(name);
  if (spec.defaultDoc !== undefined) return spec.defaultDoc;
  return spec.default === null || spec.default === '' ? undefined : String(spec.default);
}

/** infra/env-contract.json as shared/config-schema.ts declares it: one variable per entry, two lines each. */
export function renderEnvContract(): string {
  const entries = ENV_NAMES.map((name) => {
    const spec = envVar(name);
    const fields: Record<string, unknown> = { name };
    for (const p of PROCESSES) if (spec[p] !== undefined) fields[p] = spec[p];
    if (spec.secret) fields['secret'] = true;
    if (spec.cloudValue !== undefined) fields['cloudValue'] = spec.cloudValue;
    if (spec.sameInBoth) fields['sameInBoth'] = true;
    fields['values'] = spec.type.describe;
    const fallback = defaultText(name);
    if (fallback !== undefined) fields['default'] = fallback;
    const head = Object.entries(fields).map(([k, value]) => `${JSON.stringify(k)}: ${JSON.stringify(value)}`).join(', ');
    return `    { ${head},\n      "doc": ${JSON.stringify(spec.doc)} }`;
  });
  const levels = LEVELS.map((l) => `    ${JSON.stringify(l)}: ${JSON.stringify(CLOUD_LEVELS[l])}`);
  const description = 'The environment variables ScenarioForge reads (DESIGN.md §8) and who provides each in the cloud deployment. GENERATED from shared/config-schema.ts by `npm run docs:env`: edit the schema, not this file. scripts/check-deploy.ts holds infra/service.yaml (orchestrator) and infra/job.yaml (job) to it, and fails when this file differs from the schema or the code reads a name listed nowhere here.';
  return [
    '{',
    `  "description": ${JSON.stringify(description)},`,
    '  "levels": {',
    levels.join(',\n'),
    '  },',
    '  "vars": [',
    entries.join(',\n'),
    '  ],',
    '  "notEnvNames": {',
    '    "description": "Upper-case string literals in config modules that are not environment variable names (keeps the source scan honest instead of loosening it).",',
    '    "names": []',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** A finding when the contract on disk is not what the schema generates. */
export function checkContractMatchesSchema(contractText: string): Finding[] {
  if (contractText === renderEnvContract()) return [];
  const expected = renderEnvContract().split('\n');
  const actual = contractText.split('\n');
  const first = expected.findIndex((l, i) => l !== actual[i]);
  const line = first < 0 ? expected.length : first;
  return [{
    file: ENV_CONTRACT_PATH,
    check: 'infra.contract-generated',
    message: `differs from shared/config-schema.ts from line ${line + 1} (${JSON.stringify((actual[line] ?? '(end of file)').trim().slice(0, 80))}): run npm run docs:env`,
  }];
}
