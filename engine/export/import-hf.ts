import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { parseSafetensors } from '../checkpoint/safetensors';
import { type ModelBundle, validateWeights } from '../models/bundle';
import { type ModelConfig, validateModelConfig } from '../models/config';
import type { Weights } from '../models/init';
import { paramShapes } from '../models/param-names';
import { Tokenizer } from '../tokenizer/tokenizer';

const SUPPORTED =
  'hone reads GPT-2 folders (config.json model_type "gpt2" with tanh GELU, tokenizer.json with a ByteLevel BPE model, and ' +
  'onnx/model.onnx whose initializers carry the GPT2LMHeadModel weight names, as exportHfFolder writes them)';

/** A folder that is not in a format {@link importHfFolder} reads; the message says what is wrong and what is supported. */
export class UnsupportedModelFolderError extends Error {
  override readonly name = 'UnsupportedModelFolderError';
}

/**
 * Reads a Hugging Face-style GPT-2 folder (the platform's "load an ONNX model folder" option) into a
 * {@link ModelBundle}: the size from config.json, the tokenizer from tokenizer.json (+ tokenizer_config.json for
 * EOS/padding), and the weights from the initializers of onnx/model.onnx by name (transposed [out, in] copies are
 * not guessed at). Tensors the ONNX file lacks are taken from model.safetensors when the folder has one.
 */
export async function importHfFolder(dir: string): Promise<ModelBundle> {
  const fail = (what: string): never => {
    throw new UnsupportedModelFolderError(`${dir}: ${what}. ${SUPPORTED}.`);
  };
  const readJson = async (name: string, optional = false): Promise<Record<string, unknown> | undefined> => {
    let text: string;
    try {
      text = await readFile(join(dir, name), 'utf8');
    } catch {
      return optional ? undefined : fail(`no ${name}`);
    }
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      return fail(`${name} is not JSON (${(e as Error).message})`);
    }
  };

  const hf = (await readJson('config.json')) as Record<string, unknown>;
  if (hf.model_type !== 'gpt2') fail(`config.json model_type is ${JSON.stringify(hf.model_type)}, not "gpt2"`);
  const act = hf.activation_function ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') fail(`activation_function ${JSON.stringify(act)} is not the tanh GELU ("gelu_new")`);
  const eps = hf.layer_norm_epsilon ?? 1e-5;
  if (eps !== 1e-5) fail(`layer_norm_epsilon ${JSON.stringify(eps)} is not 1e-5`);
  if (hf.tie_word_embeddings === false) fail('tie_word_embeddings is false (hone ties the LM head to the token embedding)');
  let config: ModelConfig;
  try {
    config = validateModelConfig({ vocabSize: hf.vocab_size, context: hf.n_positions, width: hf.n_embd, layers: hf.n_layer, heads: hf.n_head }, 'config.json');
  } catch (e) {
    return fail((e as Error).message);
  }
  if (hf.n_inner !== undefined && hf.n_inner !== null && hf.n_inner !== 4 * config.width) fail(`n_inner ${String(hf.n_inner)} is not 4 × n_embd`);

  const tokJson = await readJson('tokenizer.json');
  const tokConfig = (await readJson('tokenizer_config.json', true)) ?? {};
  let tokenizer: Tokenizer;
  try {
    const named = (v: unknown): string | undefined => (typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string' ? (v as { content: string }).content : undefined);
    tokenizer = Tokenizer.fromJSON(tokJson, { eos_token: named(tokConfig.eos_token), pad_token: named(tokConfig.pad_token) });
  } catch (e) {
    return fail(`tokenizer.json: ${(e as Error).message}`);
  }
  if (tokenizer.vocabSize > config.vocabSize) fail(`the tokenizer has ${tokenizer.vocabSize} ids but vocab_size is ${config.vocabSize}`);

  const onnxPath = join(dir, 'onnx', 'model.onnx');
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(await readFile(onnxPath));
  } catch (e) {
    return fail(`cannot read onnx/model.onnx (${(e as Error).message})`);
  }
  const initializers = new Map<string, onnx.ITensorProto>();
  for (const t of model.graph?.initializer ?? []) if (t.name) initializers.set(t.name, t);
  const weights: Weights = {};
  const missing: string[] = [];
  for (const { name, shape } of paramShapes(config)) {
    const t = initializers.get(name);
    if (!t) {
      missing.push(name);
      continue;
    }
    weights[name] = floatData(t, shape, fail);
  }
  if (missing.length > 0) {
    const st = join(dir, 'model.safetensors');
    const have = await access(st).then(
      () => true,
      () => false,
    );
    if (have) {
      const { tensors } = parseSafetensors(await readFile(st));
      for (const name of [...missing]) {
        const t = tensors[name] ?? tensors[name.replace(/^transformer\./, '')];
        if (t && t.dtype === 'F32') {
          weights[name] = t.data as Float32Array;
          missing.splice(missing.indexOf(name), 1);
        }
      }
    }
  }
  if (missing.length > 0) fail(`onnx/model.onnx has no initializers named ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ` and ${missing.length - 4} more` : ''}`);
  try {
    validateWeights(config, weights, 'importHfFolder');
  } catch (e) {
    return fail((e as Error).message);
  }
  const meta = (hf.hone as { meta?: Record<string, string> } | undefined)?.meta ?? {};
  return { config, tokenizer: tokenizer.toJSON(), weights, meta: { ...meta, importedFrom: dir } };
}

/** The float32 values of an initializer with the expected dims (raw_data or float_data). */
function floatData(t: onnx.ITensorProto, shape: readonly number[], fail: (what: string) => never): Float32Array {
  const dims = (t.dims ?? []).map(Number);
  if (dims.length !== shape.length || dims.some((d, i) => d !== shape[i])) fail(`initializer ${t.name} is [${dims.join(',')}], expected [${shape.join(',')}]`);
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT) fail(`initializer ${t.name} has ONNX data type ${t.dataType}, expected FLOAT (1)`);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) fail(`initializer ${t.name} is stored as external data`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== n * 4) fail(`initializer ${t.name} has ${t.rawData.length} bytes, expected ${n * 4}`);
    const copy = new Uint8Array(t.rawData); // aligned copy
    return new Float32Array(copy.buffer, 0, n);
  }
  if (t.floatData && t.floatData.length === n) return Float32Array.from(t.floatData);
  return fail(`initializer ${t.name} holds no data`);
}
