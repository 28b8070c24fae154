import type { TrainerState } from '../checkpoint/trainer-state';
import type { SessionCache } from '../models/session-cache';
import type { TaskFormat } from '../task/format';
import type { ResumeFrom } from './resume-state';

/**
 * Options the trainers that learn from K-way rankings (the reward model and DPO) share: how long and how fast
 * they train, how the rankings are split and ordered, and how a run reports, checkpoints, resumes and stops.
 * Each trainer documents its own defaults.
 */
export interface RankingTrainerOptions {
  /** Updates; default epochs × ⌈train rankings / batch⌉. */
  steps?: number;
  /** Passes over the training rankings when `steps` is not given. */
  epochs?: number;
  /** Rankings (prompts) per batch; each is one batch element with all its completions (default 8). */
  batch?: number;
  /** Peak learning rate of the warm-up + cosine schedule. */
  lr?: number;
  /** Warm-up updates (default 5% of steps). */
  warmupSteps?: number;
  /** AdamW decoupled weight decay on matrices. */
  weightDecay?: number;
  /** Global gradient-norm clip. */
  maxGradNorm?: number;
  /** Share of prompts whose rankings are held out for accuracy (default 0.2). */
  heldoutShare?: number;
  /** Seeds the split, any head init and the data order (default 1). */
  seed?: number;
  /** How prompts and completions are rendered for the model (default: the built-in task's format). */
  format?: TaskFormat;
  /** Sessions to reuse (default: a new cache with the platform options). */
  sessions?: SessionCache;
  /** Report progress every this many updates (default 10). */
  progressEvery?: number;
  /** Call `onCheckpoint` every this many updates (default: never). */
  checkpointEvery?: number;
  onCheckpoint?: (state: TrainerState) => void | Promise<void>;
  /** Continue a run from one of its checkpoints (same rankings and options): finishes bit-identically. */
  resumeFrom?: ResumeFrom;
  /** Stop (with an error) when aborted, e.g. by an activity's cancellation. */
  signal?: AbortSignal;
}
