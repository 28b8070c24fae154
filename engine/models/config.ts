/** Size of a GPT-2-architecture model. */
export interface ModelConfig {
  /** Number of token ids (the tokenizer's vocabSize). */
  vocabSize: number;
  /** Maximum sequence length (rows of the position embedding). */
  context: number;
  /** Hidden width D (n_embd). */
  width: number;
  /** Number of transformer blocks (n_layer). */
  layers: number;
  /** Attention heads (n_head); width must be divisible by it. */
  heads: number;
}

/** The model the built-in task trains by default (measured in engine/train/README.md). */
export const TASK_MODEL_CONFIG: Readonly<ModelConfig> = { vocabSize: 768, context: 64, width: 128, layers: 2, heads: 4 };

/** Throws with a message naming the field when `cfg` is not a usable model config; returns a clean copy. */
export function validateModelConfig(cfg: unknown, where = 'model config'): ModelConfig {
  if (typeof cfg !== 'object' || cfg === null) throw new Error(`${where}: expected an object, got ${JSON.stringify(cfg)}`);
  const c = cfg as Record<string, unknown>;
  const out = {} as ModelConfig;
  for (const key of ['vocabSize', 'context', 'width', 'layers', 'heads'] as const) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${where}: ${key} must be a positive integer, got ${JSON.stringify(v)}`);
    out[key] = v;
  }
  if (out.width % out.heads !== 0) throw new Error(`${where}: width ${out.width} is not divisible by heads ${out.heads}`);
  return out;
}

/** Per-head width D / H. */
export function headDim(cfg: ModelConfig): number {
  return cfg.width / cfg.heads;
}

/** Number of trunk parameters (embeddings, blocks, final LayerNorm; the LM head is tied to the embedding). */
export function trunkParamCount(cfg: ModelConfig): number {
  const { vocabSize: V, context: T, width: D, layers: L } = cfg;
  const block = 2 * D + (D * 3 * D + 3 * D) + (D * D + D) + 2 * D + (D * 4 * D + 4 * D) + (4 * D * D + D);
  return V * D + T * D + L * block + 2 * D;
}
