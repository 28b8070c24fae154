import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ModelBundle } from '../models/bundle';
import type { ModelConfig } from '../models/config';
import { Sampler } from '../sampling/sampler';
import { trainBpe } from '../tokenizer/train-bpe';
import type { SftExample } from '../train/lm-batch';
import { trainSft } from '../train/sft';
import { exportHfFolder } from './export-hf';
import { UnsupportedModelFolderError, importHfFolder } from './import-hf';

// transformers.js is ESM-first; its CommonJS build loads under jest
const hf = require('@huggingface/transformers') as typeof import('@huggingface/transformers', { with: { 'resolution-mode': 'require' } });

const colours = ['red', 'blue', 'green', 'pink', 'gold', 'grey'];
const things = ['cat', 'sky', 'sea', 'tree'];
const examples: SftExample[] = colours.flatMap((c) => things.map((t) => ({ prompt: `say ${c} ${t}:`, completion: ` the ${t} is ${c}.` })));
const tokenizer = trainBpe(examples.map((e) => e.prompt + e.completion), { vocabSize: 320 });
const cfg: ModelConfig = { vocabSize: tokenizer.vocabSize, context: 24, width: 32, layers: 2, heads: 2 };
const prompts = ['say blue sea:', 'say gold tree:', 'say red', 'the cat is'];

describe('exportHfFolder / importHfFolder', () => {
  let root: string;
  let dir: string;
  let bundle: ModelBundle;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'hone-export-'));
    dir = join(root, 'tiny-gpt');
    // a briefly trained model: readable greedy text that ends with EOS
    bundle = (await trainSft({ config: cfg, tokenizer, examples }, { steps: 60, batchSize: 8, lr: 1e-2, warmupSteps: 5, seed: 3 })).bundle;
    await exportHfFolder(bundle, dir);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes a folder that transformers.js loads offline and that greedy-decodes exactly like our sampler', async () => {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'gpt2', n_embd: 32, n_layer: 2, n_head: 2, n_positions: 24, vocab_size: cfg.vocabSize, eos_token_id: tokenizer.eosId });
    hf.env.allowRemoteModels = false;
    hf.env.allowLocalModels = true;
    hf.env.localModelPath = `${dirname(dir)}/`;
    const hfTok = await hf.AutoTokenizer.from_pretrained(basename(dir));
    const model = await hf.AutoModelForCausalLM.from_pretrained(basename(dir), { dtype: 'fp32', device: 'cpu' });
    const ours = await Sampler.create(bundle);
    try {
      const gens = await ours.generate(prompts, { maxNewTokens: 12, greedy: true });
      expect(gens.filter((g) => g.finishReason === 'eos').length).toBeGreaterThan(1);
      for (const [i, prompt] of prompts.entries()) {
        const enc = hfTok(prompt);
        expect(Array.from(enc.input_ids.data as BigInt64Array, Number)).toEqual(tokenizer.encode(prompt));
        const out = (await model.generate({ ...enc, max_new_tokens: 12, do_sample: false })) as { tolist(): bigint[][] };
        const ids = out.tolist()[0].map(Number).slice(gens[i].promptTokens.length);
        expect(ids).toEqual(gens[i].tokens);
        const text = hfTok.decode(ids, { skip_special_tokens: true });
        expect(text).toBe(gens[i].text);
      }
    } finally {
      await ours.release();
      await model.dispose();
    }
  });

  it('reads the folder back into the same bundle', async () => {
    const back = await importHfFolder(dir);
    expect(back.config).toEqual(cfg);
    expect(Object.keys(back.weights).sort()).toEqual(Object.keys(bundle.weights).sort());
    for (const [k, v] of Object.entries(bundle.weights)) expect(Buffer.from(back.weights[k].buffer, back.weights[k].byteOffset, back.weights[k].byteLength).equals(Buffer.from(v.buffer, v.byteOffset, v.byteLength))).toBe(true);
    expect(back.tokenizer).toEqual(bundle.tokenizer);
  });

  it('says clearly when a folder is not in a supported format', async () => {
    await expect(importHfFolder(join(root, 'nope'))).rejects.toThrow(UnsupportedModelFolderError);
    await expect(importHfFolder(join(root, 'nope'))).rejects.toThrow(/nope: no config\.json\. hone reads GPT-2 folders/);
    const other = join(root, 'llama');
    await exportHfFolder(bundle, other);
    const config = JSON.parse(await readFile(join(other, 'config.json'), 'utf8'));
    await writeFile(join(other, 'config.json'), JSON.stringify({ ...config, model_type: 'llama' }));
    await expect(importHfFolder(other)).rejects.toThrow('config.json model_type is "llama", not "gpt2"');
    await writeFile(join(other, 'config.json'), JSON.stringify(config));
    await writeFile(join(other, 'onnx', 'model.onnx'), Uint8Array.from([1, 2, 3]));
    await rm(join(other, 'model.safetensors'));
    await expect(importHfFolder(other)).rejects.toThrow(/onnx\/model\.onnx/);
  });
});
