import type { BuiltinTask } from '../task/builtin-task';
import type { SftExample } from './lm-batch';
import type { SftOptions } from './sft';

/**
 * Default SFT of the built-in task's policy (engine/models TASK_MODEL_CONFIG), measured in engine/train/README.md:
 * about a minute on 2 shared cores.
 */
export const TASK_SFT_OPTIONS: Readonly<Pick<SftOptions, 'steps' | 'batchSize' | 'lr' | 'warmupSteps' | 'minLr' | 'weightDecay' | 'gradClip'>> = {
  steps: 800,
  batchSize: 32,
  lr: 4e-3,
  warmupSteps: 40,
  minLr: 4e-4,
  weightDecay: 0.1,
  gradClip: 1,
};

/**
 * The task's demonstrations as SFT examples (`format.renderPrompt` / `format.renderCompletion`; the trainer
 * appends EOS), the last `evalCount` held out for the evaluation loss. Demonstrations are drawn at random, so
 * the last ones are a random slice.
 */
export function taskSftData(task: BuiltinTask, options: { evalCount?: number } = {}): { train: SftExample[]; eval: SftExample[] } {
  const all = task.demonstrations.map((d) => ({ prompt: task.format.renderPrompt(d.prompt), completion: task.format.renderCompletion(d.completion) }));
  const n = options.evalCount ?? 200;
  if (!Number.isInteger(n) || n < 0 || n >= all.length) throw new Error(`taskSftData: evalCount ${n} must be in [0, ${all.length})`);
  return { train: all.slice(0, all.length - n), eval: all.slice(all.length - n) };
}
