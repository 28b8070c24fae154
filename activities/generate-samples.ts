import { storeSamples } from '../lib/domain';
import { defineActivity } from './activity-scope';
import { permanentFailure, throwIfCancelled } from './activity-failure';
import { findArtifactByKey, loadArtifact, storeArtifact } from './artifact-io';
import type { ExperimentActivities } from './experiment-activity-types';
import type { SampledPrompt } from './experiment-engine';
import { ProgressReporter } from './progress-reporter';
import { outputKey, type TrainContext } from './train-context';

/** The samples artifact's content. */
export interface SamplesDocument {
  format: 'hone.samples.v1';
  experimentId: string;
  roundIndex: number;
  policyArtifactId: string;
  seed: number;
  items: SampledPrompt[];
}

/**
 * `generateSamples`: K completions for each of the round's prompts from the round's policy. The sample set is
 * stored as an artifact first (parent: the policy), then as rows (storeSamples, keyed by the same idempotency key);
 * a retry reuses the stored set, so the rows always match the artifact.
 */
export function generateSamplesActivity(t: TrainContext): ExperimentActivities['generateSamples'] {
  const { deps, specs, cache } = t;
  return defineActivity('generateSamples', deps, async (input, { ctx, actor }) => {
    const key = outputKey(input.idempotencyKey, 'samples.json');
    let artifactId: string;
    let doc: SamplesDocument;
    const done = await findArtifactByKey(deps, key);
    if (done) {
      artifactId = done.id;
      doc = JSON.parse(Buffer.from((await loadArtifact(deps, cache, done.id, ['samples'])).body).toString('utf8')) as SamplesDocument;
    } else {
      const { spec } = await specs.read(input.experimentId);
      const policy = await loadArtifact(deps, cache, input.policyArtifactId, ['policy']);
      const progress = new ProgressReporter(ctx, deps, { experimentId: input.experimentId, roundIndex: input.roundIndex, actor }, 'sampling');
      progress.beat({ phase: 'sampling' });
      const generated = await deps.engine.generateSamples(spec, { policy: policy.body, roundIndex: input.roundIndex, seed: input.seed }, { signal: ctx.cancellationSignal, onProgress: progress.onProgress });
      throwIfCancelled(ctx);
      // Postgres text cannot hold U+0000, and an under-trained model can emit the byte 0x00: show it as U+FFFD.
      const items = generated.map((it) => ({ ...it, completions: it.completions.map((c) => ({ ...c, text: c.text.replace(/\u0000/g, '\uFFFD') })) }));
      if (items.length === 0) throw permanentFailure('INVALID_ARGUMENT', `the engine produced no samples for round ${input.roundIndex}`);
      const body: SamplesDocument = { format: 'hone.samples.v1', experimentId: input.experimentId, roundIndex: input.roundIndex, policyArtifactId: input.policyArtifactId, seed: input.seed, items };
      const stored = await storeArtifact(
        deps,
        {
          key,
          kind: 'samples',
          experimentId: input.experimentId,
          parents: [{ artifactId: input.policyArtifactId, role: 'policy' }],
          createdByActivity: input.idempotencyKey,
          actor,
          contentType: 'application/json',
          summary: { roundIndex: input.roundIndex, prompts: items.length, completions: items.reduce((n, it) => n + it.completions.length, 0) },
        },
        Buffer.from(JSON.stringify(body), 'utf8'),
      );
      artifactId = stored.artifact.id;
      doc = stored.adopted ? (JSON.parse(Buffer.from(stored.body).toString('utf8')) as SamplesDocument) : body;
    }
    const r = await storeSamples(deps.db, {
      experimentId: input.experimentId,
      roundIndex: input.roundIndex,
      idempotencyKey: input.idempotencyKey,
      actor,
      items: doc.items.map((it) => ({
        prompt: { key: it.prompt.key, text: it.prompt.text, split: it.prompt.split },
        completions: it.completions.map((c) => ({ text: c.text, tokens: c.tokens, logprob: Number.isFinite(c.logprob) ? c.logprob : null, policyArtifactId: doc.policyArtifactId })),
      })),
    });
    return { samplesArtifactId: artifactId, prompts: r.prompts, completions: r.samples };
  });
}
