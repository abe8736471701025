export interface Plan {
  criticalMs: number;
  oneReps: number;
  concurrent: number;
  manyReps: number;
  crashReps: number;
  killAtMs: number;
}

export interface CrashSample {
  /** Restart (spawn of the new worker) → the run's result is durable and seen by the caller, ms. */
  done: number;
  /** Restart → the first step body starts again, ms. */
  firstStep: number;
  /** Step bodies executed again: nodes run by the killed worker and again after the restart. */
  rerun: number;
  /** Steps started and not finished when the worker died (where known). */
  inFlightAtKill: number;
  /** Step bodies executed in all, both lives (12 = nothing ran twice). */
  executions: number;
}

export interface EngineResult {
  name: string;
  /** One run at a time, launch included, ms. */
  one: number[];
  /** CONCURRENT runs at once, total wall, ms per repetition. */
  many: number[];
  crash: CrashSample[];
  error?: string;
}
