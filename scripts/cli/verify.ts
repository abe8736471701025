/**
 * The Cloud Run checklist made executable (`scripts/verify-cloudrun.ts`,
 * `scenarioforge verify`): against any deployed orchestrator, each promise
 * the deployment makes is one check (verify/index.ts lists them), PASS, FAIL
 * or SKIP (a check whose prerequisite failed). Any FAIL or SKIP makes the
 * exit code non-zero.
 *
 * Every invocation builds with its own focal question, so reruns against one
 * deployment never reuse each other's runs; the dedup check posts that same
 * question twice on purpose. Every run it makes is deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import type { BuildParams } from '../../shared/domain/params.ts';
import type { ApiClient } from './api-client.ts';
import { formatTable, type CommandIo } from './terminal.ts';
import type { Facts, Verification, VerifyCheck, VerifyOptions } from './verify/check.ts';
import { CHECKS } from './verify/index.ts';

export type { VerifyOptions } from './verify/check.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  baseUrl: string;
  checks: CheckResult[];
}

/** Params nobody else posts: the focal question carries this invocation's nonce. */
export function verifyParams(nonce: string): BuildParams {
  return {
    company: 'ScenarioForge Verification Grid',
    focalQuestion: `How will European grid operators fund the 2035 transition? (verify-cloudrun ${nonce})`,
    horizonYear: 2035,
    region: 'Europe',
    industry: 'Electricity transmission',
  };
}

/** Runs one check against the facts so far (adding those it establishes); null when it does not apply. */
async function runCheck(check: VerifyCheck, v: Verification, facts: Partial<Facts>): Promise<CheckResult | null> {
  if (check.applies && !check.applies(v, facts)) return null;
  if (check.needs.some((n) => facts[n] === undefined)) {
    return { name: check.name, status: 'skip', detail: 'skipped: an earlier check it depends on failed' };
  }
  try {
    // Every fact the check needs is there (just checked), and it reads no other.
    const passed = await check.run(v, facts as Facts);
    Object.assign(facts, passed.facts);
    return { name: check.name, status: 'pass', detail: passed.detail };
  } catch (err) {
    return { name: check.name, status: 'fail', detail: err instanceof Error ? err.message : String(err) };
  }
}

export async function verifyDeployment(client: ApiClient, options: VerifyOptions, checklist: readonly VerifyCheck[] = CHECKS): Promise<VerifyReport> {
  const nonce = `${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}`;
  const v: Verification = {
    client,
    options,
    pollMs: options.pollMs ?? 1000,
    secrets: options.key ? [options.key] : [],
    params: verifyParams(nonce),
    label: `verify-cloudrun ${nonce}`,
    created: new Set(),
  };
  const facts: Partial<Facts> = {};
  const checks: CheckResult[] = [];
  for (const check of checklist) {
    const result = await runCheck(check, v, facts);
    if (result) checks.push(result);
  }
  return { ok: checks.every((c) => c.status === 'pass'), baseUrl: client.url, checks };
}

export function formatReport(report: VerifyReport): string {
  const rows = report.checks.map((c) => [c.status.toUpperCase(), c.name, c.detail]);
  const passed = report.checks.filter((c) => c.status === 'pass').length;
  const verdict = report.ok
    ? `all ${passed} checks passed against ${report.baseUrl}`
    : `${report.checks.length - passed} of ${report.checks.length} checks did not pass against ${report.baseUrl}`;
  return `${formatTable(['RESULT', 'CHECK', 'DETAIL'], rows)}\n${verdict}\n`;
}

export async function verifyCommand(io: CommandIo, client: ApiClient, options: VerifyOptions): Promise<number> {
  if (!io.json) io.stdout.write(`verifying ${client.url} …\n`);
  const report = await verifyDeployment(client, options);
  if (io.json) io.printJson(report);
  else io.stdout.write(formatReport(report));
  return report.ok ? 0 : 1;
}
