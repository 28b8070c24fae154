/** Fixtures for the API tests, made through the domain verbs (what activities would do in production). */
import { registerArtifact as register, type RegisterArtifactInput } from '../../lib/domain';
import { seedLabelingRound, type SeedOptions, type SeededRound } from '../../lib/domain/test-support';
import type { TestApi } from './test-support';

/** An experiment with an open labeling round in the test API's database. */
export function seedLabelingRoundFor(api: TestApi, o: SeedOptions = {}): Promise<SeededRound> {
  return seedLabelingRound(api.db, o);
}

/** Registers an artifact (as an activity would) and returns its id. */
export async function registerArtifact(api: TestApi, input: Omit<RegisterArtifactInput, 'createdBy'>): Promise<string> {
  return (await register(api.db, { ...input, createdBy: 'test' })).artifact.id;
}
