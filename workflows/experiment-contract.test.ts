import { parseSpec } from '../lib/spec/parse-spec';
import { specSummary } from '../lib/spec/spec-summary';
import {
  CONTROL_ACTIVITY_NAMES,
  CONTROL_TASK_QUEUE,
  DEFAULT_TUNING,
  PERMANENT_ERROR_TYPES,
  TRAIN_ACTIVITY_NAMES,
  TRAIN_TASK_QUEUE,
  activityKey,
  deriveSeed,
  experimentActivityOptions,
  experimentIdFromWorkflowId,
  experimentInputProblems,
  experimentWorkflowId,
} from './experiment-contract';

describe('ids and keys', () => {
  it('maps experiment ids to workflow ids and back', () => {
    expect(experimentWorkflowId('abc')).toBe('experiment-abc');
    expect(experimentIdFromWorkflowId('experiment-abc')).toBe('abc');
    expect(experimentIdFromWorkflowId('experiment-')).toBeUndefined();
    expect(experimentIdFromWorkflowId('other-abc')).toBeUndefined();
  });

  it('makes step keys from workflow id, round and step', () => {
    expect(activityKey('experiment-abc', 2, 'ppo-6-12')).toBe('experiment-abc/r2/ppo-6-12');
    expect(activityKey('experiment-abc', 'prepare', 'prepare-policy')).toBe('experiment-abc/prepare/prepare-policy');
  });

  it('derives stable, distinct 31-bit seeds per step', () => {
    const a = deriveSeed(42, 0, 'generate');
    expect(a).toBe(deriveSeed(42, 0, 'generate'));
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(2 ** 31);
    const all = [deriveSeed(42, 0, 'generate'), deriveSeed(42, 1, 'generate'), deriveSeed(43, 0, 'generate'), deriveSeed(42, 0, 'evaluate')];
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('experimentActivityOptions', () => {
  const options = experimentActivityOptions(DEFAULT_TUNING);

  it('puts train activities on hone-train with heartbeats and bounded attempts, the rest on hone-control', () => {
    for (const name of TRAIN_ACTIVITY_NAMES) {
      expect(options[name]).toMatchObject({ taskQueue: TRAIN_TASK_QUEUE, heartbeatTimeout: DEFAULT_TUNING.heartbeatTimeoutMs, retry: { maximumAttempts: DEFAULT_TUNING.trainMaximumAttempts } });
    }
    for (const name of CONTROL_ACTIVITY_NAMES) {
      expect(options[name].taskQueue).toBe(CONTROL_TASK_QUEUE);
      expect(options[name].heartbeatTimeout).toBeUndefined();
      expect(options[name].retry?.maximumAttempts).toBeUndefined();
    }
    expect([...TRAIN_ACTIVITY_NAMES, ...CONTROL_ACTIVITY_NAMES].sort()).toEqual(Object.keys(options).sort());
  });

  it('never retries permanent error types', () => {
    for (const o of Object.values(options)) expect(o.retry?.nonRetryableErrorTypes).toEqual([...PERMANENT_ERROR_TYPES]);
  });
});

describe('experimentInputProblems', () => {
  const spec = specSummary(parseSpec('name: ok'));

  it('accepts what specSummary produces', () => {
    expect(experimentInputProblems({ experimentId: 'e1', spec })).toEqual([]);
  });

  it('names each problem', () => {
    expect(experimentInputProblems({ experimentId: '', spec: { ...spec, rounds: 0, training: { ...spec.training, perActivity: 0 }, labeling: { ...spec.labeling, deadlineMs: -1 } } })).toEqual([
      'experimentId must be a non-empty string',
      'spec.rounds must be a positive integer (got 0)',
      'spec.training.perActivity must be a positive integer (got 0)',
      'spec.labeling.deadlineMs must be a positive number (got -1)',
    ]);
    expect(experimentInputProblems({ experimentId: 'e', spec, state: { roundIndex: 3, roundsTotal: 3, policyArtifactId: 'p', referenceArtifactId: 'r', paused: false, startedAt: '' } })).toEqual([
      'state.roundIndex 3 is not within 0..roundsTotal-1 (3)',
    ]);
  });
});
