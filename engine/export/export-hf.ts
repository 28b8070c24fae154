import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serializeSafetensors, type SafeTensor } from '../checkpoint/safetensors';
import { type ModelBundle, validateWeights } from '../models/bundle';
import { buildCausalLmGraph } from '../models/causal-lm-graph';
import { validateModelConfig } from '../models/config';
import { paramShapes } from '../models/param-names';
import { Tokenizer } from '../tokenizer/tokenizer';

/** Options of {@link exportHfFolder}. */
export interface ExportOptions {
  /** ONNX opset of onnx/model.onnx (default 17, which every onnxruntime since 1.12 runs). */
  opset?: number;
}

/** The files {@link exportHfFolder} writes, relative to the folder. */
export const HF_FOLDER_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'model.safetensors', 'onnx/model.onnx'] as const;

/**
 * Writes a Hugging Face-style model folder for a policy:
 *
 * - `config.json` (model_type gpt2, GPT2LMHeadModel, tanh GELU 'gelu_new', tied embeddings),
 *   `generation_config.json`, `tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json`;
 * - `onnx/model.onnx`: the KV-cache graph with the transformers.js / Optimum GPT-2 signature (`input_ids`,
 *   `attention_mask`, `position_ids`, `past_key_values.{l}.key|value` → `logits`, `present.{l}.key|value`),
 *   weights as initializers under their GPT-2 names;
 * - `model.safetensors`: the same weights under `GPT2LMHeadModel` names (Conv1D [in, out] layout), which Python
 *   `transformers` loads too.
 *
 * Value and reward heads are not exported (the folder is a causal LM). Files are written into a temporary
 * folder that is then renamed to `dir`, so a reader never sees half an export; an existing `dir` is replaced.
 */
export async function exportHfFolder(bundle: ModelBundle, dir: string, options: ExportOptions = {}): Promise<void> {
  const cfg = validateModelConfig(bundle.config, 'exportHfFolder config');
  validateWeights(cfg, bundle.weights, 'exportHfFolder');
  const tokenizer = Tokenizer.fromJSON(bundle.tokenizer);
  const eos = tokenizer.eosId;
  const pad = tokenizer.padId;
  const config = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: cfg.vocabSize,
    n_positions: cfg.context,
    n_ctx: cfg.context,
    n_embd: cfg.width,
    n_layer: cfg.layers,
    n_head: cfg.heads,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    scale_attn_weights: true,
    tie_word_embeddings: true,
    use_cache: true,
    bos_token_id: eos,
    eos_token_id: eos,
    pad_token_id: pad,
    torch_dtype: 'float32',
    hone: { format: 'hone.hf-export.v1', meta: bundle.meta ?? {} },
  };
  const generation = { bos_token_id: eos, eos_token_id: eos, pad_token_id: pad, max_length: cfg.context };
  const eosText = tokenizer.idToToken(eos) as string;
  const special = { bos_token: eosText, eos_token: eosText, pad_token: tokenizer.idToToken(pad) as string, unk_token: eosText };
  const tensors: Record<string, SafeTensor> = {};
  for (const { name, shape } of paramShapes(cfg)) tensors[name] = { dtype: 'F32', shape, data: bundle.weights[name] };
  // Python transformers ties lm_head to wte itself; the metadata says these are PyTorch tensors
  const safetensors = serializeSafetensors(tensors, { format: 'pt' });
  const onnxBytes = buildCausalLmGraph(cfg, { weights: bundle.weights, opset: options.opset });

  const temp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await rm(temp, { recursive: true, force: true });
  await mkdir(join(temp, 'onnx'), { recursive: true });
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  try {
    await writeFile(join(temp, 'config.json'), json(config));
    await writeFile(join(temp, 'generation_config.json'), json(generation));
    await writeFile(join(temp, 'tokenizer.json'), JSON.stringify(tokenizer.toJSON()));
    await writeFile(join(temp, 'tokenizer_config.json'), json(tokenizer.tokenizerConfig({ modelMaxLength: cfg.context })));
    await writeFile(join(temp, 'special_tokens_map.json'), json(special));
    await writeFile(join(temp, 'model.safetensors'), safetensors);
    await writeFile(join(temp, 'onnx', 'model.onnx'), onnxBytes);
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
}
