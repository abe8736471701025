/**
 * .dockerignore, evaluated like Docker does: later patterns win, `!`
 * re-includes, a pattern matching a directory excludes what is under it.
 */
import type { Finding } from './finding.ts';

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Whether Docker leaves `path` out of the build context under these .dockerignore rules. */
export function dockerignoreExcludes(rules: string, path: string): boolean {
  const patterns = rules.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+/, '').replace(/\/+$/, '');
    const re = globToRegExp(pattern);
    if (prefixes.some((p) => re.test(p))) excluded = !negate;
  }
  return excluded;
}

const MUST_EXCLUDE = ['node_modules/express/index.js', '.git/HEAD', '.env', '.env.local', 'shared/.env', 'key.pem', 'certs/server.pem',
  'storage/runs/x/events.jsonl', 'test/unit/a.unit.test.ts', 'media/demo.png', 'docs/cloud-run.md', '.ci/run', 'dist/orchestrator/main.js'];
const MUST_INCLUDE = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'orchestrator/main.ts',
  'job-runner/main.ts', 'shared/domain/events.ts', 'scripts/scenarioforge.ts', 'orchestrator/public/index.html'];

export function checkDockerignore(text: string): Finding[] {
  const findings: Finding[] = [];
  for (const p of MUST_EXCLUDE) {
    if (!dockerignoreExcludes(text, p)) findings.push({ file: '.dockerignore', check: 'dockerignore.exclude', message: `${p} would be sent to the build context` });
  }
  for (const p of MUST_INCLUDE) {
    if (dockerignoreExcludes(text, p)) findings.push({ file: '.dockerignore', check: 'dockerignore.include', message: `${p} is excluded but the image build needs it` });
  }
  return findings;
}
