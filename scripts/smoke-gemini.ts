/**
 * Real-API smoke test: one call per model node of the ScenarioForge pipeline
 * against Gemini, in topological order, validated by the same schemas and
 * method checks as a real run. Skips (exit 0) without GEMINI_API_KEY.
 *
 *   GEMINI_API_KEY=… node scripts/smoke-gemini.ts
 *   optional: GEMINI_MODEL, GEMINI_BASE_URL, SMOKE_TIMEOUT_MS, SMOKE_MAX_ATTEMPTS, SMOKE_OUT_DIR
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildParamsSchema } from '../shared/domain/params.ts';
import { DEFAULT_GEMINI_MODEL, getGeminiModel } from '../shared/llm/gemini-model.ts';
import { resolveGeminiKey } from '../shared/security/gemini-key.ts';
import { InOrderRunError, runPipelineInOrder } from '../job-runner/nodes/in-order.ts';

const resolved = resolveGeminiKey({ allowHeader: false, envKey: process.env.GEMINI_API_KEY });
if (resolved.key === null) {
  console.log('SKIPPED: GEMINI_API_KEY not set');
  process.exit(0);
}

const modelId = process.env.GEMINI_MODEL?.trim() || DEFAULT_GEMINI_MODEL;
const model = getGeminiModel({
  apiKey: resolved.key,
  model: modelId,
  timeoutMs: Number(process.env.SMOKE_TIMEOUT_MS ?? 180_000),
  apiVersion: 'v1beta',
  ...(process.env.GEMINI_BASE_URL ? { baseUrl: process.env.GEMINI_BASE_URL } : {}),
});

const params = buildParamsSchema.parse({
  company: 'Nordlicht Netz AG',
  focalQuestion: 'How will European grid operators fund the 2035 transition?',
  horizonYear: 2035,
  region: 'Europe',
  industry: 'Electricity transmission and distribution',
});

console.log(`Gemini smoke: model ${modelId}, key ${resolved.source} ${resolved.fingerprint}`);
const started = performance.now();
let promptTokens = 0;
let outputTokens = 0;
try {
  const results = await runPipelineInOrder({
    params,
    model,
    maxAttempts: Number(process.env.SMOKE_MAX_ATTEMPTS ?? 1),
    onAttempt: ({ node, attempt, durationMs, failure }) => {
      if (failure) {
        console.log(`✗ ${node} attempt ${attempt} ${durationMs} ms: ${failure.error.code} (${failure.error.retryable ? 'retryable' : 'terminal'}) ${failure.error.message}`);
        for (const issue of failure.issues ?? []) console.log(`    - ${issue}`);
      } else {
        console.log(`✓ ${node} attempt ${attempt} ${durationMs} ms`);
      }
    },
  });
  for (const r of results.values()) {
    promptTokens += r.usage?.promptTokens ?? 0;
    outputTokens += r.usage?.outputTokens ?? 0;
  }
  const outDir = process.env.SMOKE_OUT_DIR;
  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    for (const [id, r] of results) {
      writeFileSync(join(outDir, `${id}.json`), JSON.stringify(r.value, null, 2));
      for (const f of r.files) writeFileSync(join(outDir, f.name), f.body);
    }
    console.log(`artifacts written to ${outDir}`);
  }
  console.log(`OK in ${Math.round(performance.now() - started)} ms; tokens: ${promptTokens} prompt, ${outputTokens} output`);
} catch (err) {
  console.log(`FAILED: ${err instanceof InOrderRunError ? err.message : err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
