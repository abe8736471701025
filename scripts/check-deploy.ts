#!/usr/bin/env node
/**
 * Static checks of what ships to Cloud Run: the two Dockerfiles, .dockerignore,
 * infra/service.yaml, infra/job.yaml and infra/deploy.sh, held to
 * infra/env-contract.json — which must be what shared/config-schema.ts
 * generates — and the source tree, which may read no environment variable the
 * contract does not list. Each kind of check lives in scripts/deploy-checks/.
 *
 *   node scripts/check-deploy.ts                   # the templates in infra/
 *   node scripts/check-deploy.ts --rendered DIR    # also DIR/service.yaml, DIR/job.yaml as deploy.sh rendered them
 *
 * Every check returns findings; none means pass. The CLI prints a pass/fail
 * table and exits 1 on any finding. Nothing here talks to Google.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkDockerfile, checkDockerfilesAgree, ENTRYPOINTS, type DockerfileKind } from './deploy-checks/dockerfiles.ts';
import { checkDockerignore } from './deploy-checks/dockerignore.ts';
import { checkContractMatchesSchema, parseEnvContract, type EnvContract } from './deploy-checks/env-contract.ts';
import type { Finding } from './deploy-checks/finding.ts';
import { checkInfra, type InfraFiles } from './deploy-checks/infra.ts';
import { checkSourceEnvNames, envNamesReadBySource, listSourceFiles, loadConfigEnvNames } from './deploy-checks/source-env.ts';

export type { Finding } from './deploy-checks/finding.ts';
export { checkDockerfile, checkDockerfilesAgree, ENTRYPOINTS, parseDockerfile, unpinnedReason } from './deploy-checks/dockerfiles.ts';
export type { DockerfileKind, DockerfileOptions } from './deploy-checks/dockerfiles.ts';
export { checkDockerignore, dockerignoreExcludes } from './deploy-checks/dockerignore.ts';
export { checkContractMatchesSchema, parseEnvContract, renderEnvContract } from './deploy-checks/env-contract.ts';
export type { ContractVar, EnvContract, Level, Process } from './deploy-checks/env-contract.ts';
export { checkInfra, deployDefault, templateVars } from './deploy-checks/infra.ts';
export type { InfraFiles } from './deploy-checks/infra.ts';
export { checkSourceEnvNames, envNamesReadBySource, listSourceFiles, loadConfigEnvNames } from './deploy-checks/source-env.ts';
export type { EnvRead, SourceFile } from './deploy-checks/source-env.ts';
export { parseYaml, yamlAt, YamlSubsetError } from './deploy-checks/yaml.ts';
export type { YamlMap, YamlValue } from './deploy-checks/yaml.ts';

function readIf(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function nodeMajorFromPackage(repoRoot: string): number {
  const pkg: unknown = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const engines = typeof pkg === 'object' && pkg !== null && 'engines' in pkg ? (pkg.engines as Record<string, unknown>) : {};
  const m = /(\d+)/.exec(typeof engines['node'] === 'string' ? engines['node'] : '');
  return m ? Number(m[1]) : 22;
}

/** Runs every check on the repository; one row per target. */
export function checkRepository(repoRoot: string, renderedDir?: string): Array<{ target: string; findings: Finding[] }> {
  const rows: Array<{ target: string; findings: Finding[] }> = [];
  const fileExists = (p: string): boolean => existsSync(join(repoRoot, p));
  const nodeMajor = nodeMajorFromPackage(repoRoot);
  const texts: Partial<Record<DockerfileKind, string>> = {};
  for (const kind of ['orchestrator', 'job'] as const) {
    const name = ENTRYPOINTS[kind].dockerfile;
    const text = readIf(join(repoRoot, name));
    texts[kind] = text;
    rows.push({ target: name, findings: text === undefined ? [{ file: name, check: 'dockerfile.exists', message: `${name} is missing` }] : checkDockerfile(text, kind, { fileExists, nodeMajor }) });
  }
  if (texts.orchestrator !== undefined && texts.job !== undefined) rows.push({ target: 'one base for both images', findings: checkDockerfilesAgree(texts.orchestrator, texts.job) });
  const ignore = readIf(join(repoRoot, '.dockerignore'));
  rows.push({ target: '.dockerignore', findings: ignore === undefined ? [{ file: '.dockerignore', check: 'dockerignore.exists', message: '.dockerignore is missing' }] : checkDockerignore(ignore) });
  const infra: InfraFiles = {};
  for (const key of ['infra/env-contract.json', 'infra/service.yaml', 'infra/job.yaml', 'infra/deploy.sh'] as const) {
    const text = readIf(join(repoRoot, key));
    if (text !== undefined) infra[key] = text;
  }
  rows.push({ target: 'infra templates', findings: checkInfra(infra) });
  if (renderedDir !== undefined) {
    const rendered: InfraFiles = { ...infra };
    for (const f of ['service.yaml', 'job.yaml'] as const) {
      const text = readIf(join(renderedDir, f));
      if (text !== undefined) rendered[`infra/${f}`] = text;
      else delete rendered[`infra/${f}`];
    }
    rows.push({ target: `infra rendered (${renderedDir})`, findings: checkInfra(rendered) });
  }
  const contractText = infra['infra/env-contract.json'];
  if (contractText !== undefined) rows.push({ target: 'env contract = shared/config-schema.ts', findings: checkContractMatchesSchema(contractText) });
  if (contractText !== undefined) {
    let contract: EnvContract | undefined;
    try { contract = parseEnvContract(contractText); } catch { contract = undefined; }
    if (contract !== undefined) {
      const cfg = loadConfigEnvNames(repoRoot);
      const findings = checkSourceEnvNames(envNamesReadBySource(listSourceFiles(repoRoot), contract), contract, cfg.names);
      if (cfg.error !== undefined) findings.push({ file: 'shared/config.ts', check: 'source.config-names', message: cfg.error });
      rows.push({ target: 'env names read by the code', findings });
    }
  }
  return rows;
}

function main(argv: string[]): number {
  const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));
  const i = argv.indexOf('--rendered');
  const renderedDir = i >= 0 ? argv[i + 1] : undefined;
  if (i >= 0 && renderedDir === undefined) {
    process.stderr.write('usage: node scripts/check-deploy.ts [--rendered DIR]\n');
    return 2;
  }
  const rows = checkRepository(repoRoot, renderedDir);
  const width = Math.max(...rows.map((r) => r.target.length), 6);
  const out: string[] = [`${'check'.padEnd(width)}  result  findings`];
  for (const r of rows) out.push(`${r.target.padEnd(width)}  ${r.findings.length === 0 ? 'PASS  ' : 'FAIL  '}  ${r.findings.length}`);
  const all = rows.flatMap((r) => r.findings);
  if (all.length > 0) {
    out.push('', 'findings:');
    for (const f of all) out.push(`  ${f.file} [${f.check}] ${f.message}`);
  }
  out.push('', all.length === 0 ? 'deploy checks: all passed' : `deploy checks: ${all.length} finding(s)`);
  process.stdout.write(`${out.join('\n')}\n`);
  return all.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
