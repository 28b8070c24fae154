import type { Rng } from '../util/rng';
import { CONSTRAINT_KINDS, TEMPLATES, constraintLabel, constraintWord, constraintsOfKind, type Constraint, type ConstraintKind } from './constraints';
import { TOPICS, type Topic } from './lexicon';

/** One prompt of the built-in task. Plain JSON. */
export interface TaskPrompt {
  /** Stable id, e.g. "cats/uses_word:blue/0" (topic / constraint / template index). */
  id: string;
  /** What the model and the labeler see: "Write a sentence about cats that uses the word blue." */
  text: string;
  /** Topic id (see TOPICS). */
  topic: string;
  constraint: Constraint;
  /** Index into TEMPLATES[constraint.kind]. */
  template: number;
  /** Whether the (topic, kind) pair is used for training or held out for evaluation. */
  split: 'train' | 'heldout';
}

/** A (topic, constraint kind) combination: the unit the held-out split is made of. */
export interface TopicKindPair {
  topic: string;
  kind: ConstraintKind;
}

/** The prompt text for a topic, constraint and phrasing. */
export function renderPromptText(topic: Topic, constraint: Constraint, template: number): string {
  const t = TEMPLATES[constraint.kind][template];
  if (t === undefined) throw new RangeError(`no template ${template} for ${constraint.kind}`);
  return t.replace('{topic}', topic.name).replace('{word}', constraintWord(constraint));
}

/**
 * Chooses the held-out (topic, kind) pairs: `perTopic` kinds for every topic, spread so each kind is held out for
 * about the same number of topics and every topic and kind still occurs in training.
 */
export function chooseHeldoutPairs(rng: Rng, perTopic: number): TopicKindPair[] {
  if (!Number.isInteger(perTopic) || perTopic < 0 || perTopic >= CONSTRAINT_KINDS.length) {
    throw new RangeError(`heldoutKindsPerTopic must be an integer in [0, ${CONSTRAINT_KINDS.length - 1}], got ${perTopic}`);
  }
  const topics = rng.shuffle(TOPICS.map((t) => t.id));
  const kinds = rng.shuffle([...CONSTRAINT_KINDS]);
  const pairs: TopicKindPair[] = [];
  topics.forEach((topic, i) => {
    for (let k = 0; k < perTopic; k++) pairs.push({ topic, kind: kinds[(i * perTopic + k) % kinds.length] });
  });
  return pairs.sort((a, b) => (a.topic + a.kind < b.topic + b.kind ? -1 : 1));
}

/** Every prompt of every topic × constraint × template, tagged with its split. */
export function enumeratePrompts(heldout: readonly TopicKindPair[]): TaskPrompt[] {
  const held = new Set(heldout.map((p) => `${p.topic}|${p.kind}`));
  const out: TaskPrompt[] = [];
  for (const topic of TOPICS) {
    for (const kind of CONSTRAINT_KINDS) {
      const split = held.has(`${topic.id}|${kind}`) ? 'heldout' : 'train';
      for (const constraint of constraintsOfKind(kind)) {
        TEMPLATES[kind].forEach((_, template) => {
          out.push({
            id: `${topic.id}/${constraintLabel(constraint)}/${template}`,
            text: renderPromptText(topic, constraint, template),
            topic: topic.id,
            constraint,
            template,
            split,
          });
        });
      }
    }
  }
  return out;
}

/**
 * Shuffles prompts within each kind, then interleaves the kinds round-robin, so that the first N prompts of the
 * result are balanced across constraint kinds.
 */
export function interleaveByKind(prompts: readonly TaskPrompt[], rng: Rng): TaskPrompt[] {
  const byKind = new Map<ConstraintKind, TaskPrompt[]>();
  for (const kind of CONSTRAINT_KINDS) byKind.set(kind, rng.shuffle(prompts.filter((p) => p.constraint.kind === kind)));
  const out: TaskPrompt[] = [];
  for (let i = 0; out.length < prompts.length; i++) {
    for (const kind of CONSTRAINT_KINDS) {
      const list = byKind.get(kind) as TaskPrompt[];
      if (i < list.length) out.push(list[i]);
    }
  }
  return out;
}
