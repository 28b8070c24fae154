import type { Rng } from '../util/rng';
import { CONSTRAINT_KINDS, constraintCredit, type Constraint, type ConstraintKind } from './constraints';
import { generateSentence, type SentenceRequirements } from './grammar';
import { TOPICS, topicById } from './lexicon';
import type { TaskPrompt } from './prompts';

/** One SFT example: a prompt and a fluent, on-topic completion that may or may not honour the constraint. */
export interface Demonstration {
  id: string;
  prompt: TaskPrompt;
  completion: string;
  honoursConstraint: boolean;
}

/** Sentence requirements that honour a constraint. */
export function honouringRequirements(c: Constraint): SentenceRequirements {
  switch (c.kind) {
    case 'uses_word':
      return { include: c.word };
    case 'starts_with':
      return { start: c.word };
    case 'ends_with':
      return { end: c.word };
    case 'word_count':
      return { length: c.count };
    case 'avoid_word':
      return { exclude: [c.word] };
  }
}

/** Sentence requirements that ignore a constraint and are sure to break it. */
export function violatingRequirements(c: Constraint): SentenceRequirements {
  switch (c.kind) {
    case 'uses_word':
    case 'starts_with':
    case 'ends_with':
      return { exclude: [c.word] };
    case 'word_count':
      return { avoidLength: c.count };
    case 'avoid_word':
      return { contain: c.word };
  }
}

/** A completion (with its final period) for `prompt` that honours its constraint or not. */
export function generateCompletion(prompt: TaskPrompt, honour: boolean, rng: Rng): string {
  const req = honour ? honouringRequirements(prompt.constraint) : violatingRequirements(prompt.constraint);
  const words = generateSentence(topicById(prompt.topic), rng, req);
  const credit = constraintCredit(prompt.constraint, words);
  if (honour ? credit !== 1 : credit === 1) {
    throw new Error(`generateCompletion: "${words.join(' ')}" should ${honour ? '' : 'not '}honour ${JSON.stringify(prompt.constraint)}`);
  }
  return `${words.join(' ')}.`;
}

/**
 * `count` demonstrations over the training prompts: constraint kind uniform, then topic, then prompt; exactly
 * round(count × honourShare) of them honour their constraint, the others are fluent and on topic but break it.
 */
export function generateDemonstrations(trainPrompts: readonly TaskPrompt[], count: number, honourShare: number, rng: Rng): Demonstration[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`demonstrations must be a non-negative integer, got ${count}`);
  if (!(honourShare >= 0 && honourShare <= 1)) throw new RangeError(`honourShare must be in [0, 1], got ${honourShare}`);
  const byKind = new Map<ConstraintKind, Map<string, TaskPrompt[]>>();
  for (const p of trainPrompts) {
    const topics = byKind.get(p.constraint.kind) ?? new Map<string, TaskPrompt[]>();
    byKind.set(p.constraint.kind, topics);
    topics.set(p.topic, [...(topics.get(p.topic) ?? []), p]);
  }
  const kinds = CONSTRAINT_KINDS.filter((k) => byKind.has(k));
  if (count > 0 && kinds.length === 0) throw new Error('generateDemonstrations: no training prompts');
  const honours = rng.shuffle(Array.from({ length: count }, (_, i) => i < Math.round(count * honourShare)));
  const width = String(Math.max(count - 1, 0)).length;
  return honours.map((honour, i) => {
    const topics = byKind.get(rng.choice(kinds)) as Map<string, TaskPrompt[]>;
    const prompt = rng.choice(rng.choice([...topics.values()]));
    return { id: `demo-${String(i).padStart(width, '0')}`, prompt, completion: generateCompletion(prompt, honour, rng), honoursConstraint: honour };
  });
}

/** Plain fluent sentences over all topics, for the pretraining-loss mix of PPO-ptx. */
export function generatePretrainTexts(count: number, rng: Rng): string[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`pretrainTexts must be a non-negative integer, got ${count}`);
  return Array.from({ length: count }, () => `${generateSentence(rng.choice(TOPICS), rng).join(' ')}.`);
}
