import { parseSafetensors, serializeSafetensors } from '../checkpoint/safetensors';
import { trainBpe } from '../tokenizer/train-bpe';
import { Tokenizer } from '../tokenizer/tokenizer';
import { type ModelBundle, deserializeModel, serializeModel } from './bundle';
import type { ModelConfig } from './config';
import { initGptWeights } from './init';

const cfg: ModelConfig = { vocabSize: 300, context: 16, width: 16, layers: 2, heads: 2 };

function bundle(heads = {}): ModelBundle {
  const tok = trainBpe(['the cat sat on the mat.', 'the dog ran.'], { vocabSize: 300 });
  return { config: cfg, tokenizer: tok.toJSON(), weights: initGptWeights(cfg, 5, heads), meta: { trainer: 'test', step: '12' } };
}

describe('serializeModel / deserializeModel', () => {
  it('round-trips config, tokenizer, meta and every weight bit for bit in one safetensors file', () => {
    for (const heads of [{}, { valueHead: true }, { rewardHead: true }]) {
      const b = bundle(heads);
      const bytes = serializeModel(b);
      const back = deserializeModel(bytes);
      expect(back.config).toEqual(cfg);
      expect(back.meta).toEqual(b.meta);
      expect(Tokenizer.fromJSON(back.tokenizer).encode('the cat')).toEqual(Tokenizer.fromJSON(b.tokenizer).encode('the cat'));
      expect(Object.keys(back.weights).sort()).toEqual(Object.keys(b.weights).sort());
      for (const [k, v] of Object.entries(b.weights)) expect(Buffer.from(back.weights[k].buffer).equals(Buffer.from(v.buffer))).toBe(true);
      // any safetensors reader sees the tensors with their shapes
      const raw = parseSafetensors(bytes);
      expect(raw.tensors['transformer.h.1.mlp.c_fc.weight'].shape).toEqual([16, 64]);
      expect(raw.metadata.format).toBe('hone.model.v1');
    }
  });

  it('names what is wrong', () => {
    const b = bundle();
    delete b.weights['transformer.h.1.ln_2.bias'];
    expect(() => serializeModel(b)).toThrow('serializeModel: missing weight transformer.h.1.ln_2.bias [16]');
    const c = bundle();
    c.weights['transformer.h.0.attn.c_attn.bias'] = new Float32Array(3);
    expect(() => serializeModel(c)).toThrow('weight transformer.h.0.attn.c_attn.bias has 3 values, [48] needs 48');
    const d = bundle();
    d.weights.extra = new Float32Array(1);
    expect(() => serializeModel(d)).toThrow('unexpected weights extra');
    expect(() => deserializeModel(serializeSafetensors({}, { format: 'other' }))).toThrow('__metadata__.format is "other", expected hone.model.v1');
    const e = bundle();
    expect(() => serializeModel({ ...e, config: { ...cfg, layers: 0 } })).toThrow('layers must be a positive integer, got 0');
  });
});
