import { getExperiment } from '../lib/domain';
import type { Db } from '../lib/db';
import type { ExperimentSpec } from '../lib/spec';

/** What the activities read about an experiment: its validated spec (defaults filled in) and seed. */
export interface ExperimentFacts {
  spec: ExperimentSpec;
  seed: number;
}

/**
 * Reads experiments' specs from the database, keeping the last few in memory: a spec never changes after launch,
 * and every step of a round needs it.
 */
export class ExperimentSpecReader {
  private readonly cache = new Map<string, ExperimentFacts>();

  constructor(
    private readonly db: Db,
    private readonly capacity = 64,
  ) {}

  async read(experimentId: string): Promise<ExperimentFacts> {
    const hit = this.cache.get(experimentId);
    if (hit) return hit;
    const e = await getExperiment(this.db, experimentId);
    const facts: ExperimentFacts = { spec: e.spec as ExperimentSpec, seed: e.seed };
    this.cache.set(experimentId, facts);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value as string);
    return facts;
  }
}
