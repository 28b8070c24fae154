import { END_OF_TEXT } from '../tokenizer/tokenizer';
import type { TaskPrompt } from './prompts';

/**
 * How prompts and completions are laid out for the model: `<prompt text>\nAnswer: <completion><|endoftext|>`.
 * The completion starts with a space so its words are the same BPE tokens as the words inside the prompt
 * ("Ġblue" in both), which makes "use the word blue" a copy a tiny model can learn.
 */
export interface TaskFormat {
  readonly promptSuffix: string;
  readonly completionPrefix: string;
  readonly eosToken: string;
  /** The model input for a prompt: its text + promptSuffix. */
  renderPrompt(prompt: TaskPrompt | string): string;
  /** The model's target for a completion: completionPrefix + text (the EOS token id is appended by the caller). */
  renderCompletion(completion: string): string;
  /** A whole training text: prompt, completion and the EOS token written out. */
  renderExample(prompt: TaskPrompt | string, completion: string): string;
  /** The completion a person reads from generated text: cut at EOS, prefix and spaces trimmed. */
  extractCompletion(generated: string): string;
}

export const PROMPT_SUFFIX = '\nAnswer:';
export const COMPLETION_PREFIX = ' ';

export function createTaskFormat(): TaskFormat {
  const textOf = (p: TaskPrompt | string): string => (typeof p === 'string' ? p : p.text);
  return {
    promptSuffix: PROMPT_SUFFIX,
    completionPrefix: COMPLETION_PREFIX,
    eosToken: END_OF_TEXT,
    renderPrompt: (p) => textOf(p) + PROMPT_SUFFIX,
    renderCompletion: (c) => COMPLETION_PREFIX + c.trim(),
    renderExample: (p, c) => textOf(p) + PROMPT_SUFFIX + COMPLETION_PREFIX + c.trim() + END_OF_TEXT,
    extractCompletion(generated) {
      const at = generated.indexOf(END_OF_TEXT);
      return (at >= 0 ? generated.slice(0, at) : generated).trim();
    },
  };
}
