import { Tokenizer } from '../tokenizer/tokenizer';
import { trainBpe } from '../tokenizer/train-bpe';
import type { BuiltinTask } from './builtin-task';

/** Default vocabulary size for the built-in task: 1 special + 256 bytes + merges that cover its words. */
export const TASK_VOCAB_SIZE = 512;

/** A byte-level BPE tokenizer trained on the task's training texts (deterministic). */
export function trainTaskTokenizer(task: BuiltinTask, options: { vocabSize?: number } = {}): Tokenizer {
  return trainBpe(task.tokenizerTexts(), { vocabSize: options.vocabSize ?? TASK_VOCAB_SIZE });
}

/** Token counts of prompt + completion + EOS, as the model sees them. */
export function sequenceLengths(task: BuiltinTask, tokenizer: Tokenizer, items: readonly { prompt: BuiltinTask['trainPrompts'][number]; completion: string }[]): number[] {
  return items.map((it) => tokenizer.encode(task.format.renderPrompt(it.prompt)).length + tokenizer.encode(task.format.renderCompletion(it.completion)).length + 1);
}
