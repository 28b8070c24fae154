import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadSpec } from './load-spec';
import { SpecError } from './spec-error';
import { specSummary } from './spec-summary';

const specsDir = path.join(__dirname, '..', '..', 'specs');

describe('loadSpec', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hone-spec-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the built-in demo spec: 2 rounds, simulated labelers, small model', async () => {
    const spec = await loadSpec(path.join(specsDir, 'demo.yaml'));
    expect(spec.name).toBe('demo');
    expect(spec.rounds.count).toBe(2);
    expect(spec.labeling.simulated).toEqual({ labelers: 3, noise: 0.1 });
    expect(spec.model.source).toBe('sft');
    // The demo file spells out values that mostly equal the defaults; a drift between the two should be deliberate.
    expect(specSummary(spec)).toMatchObject({ rounds: 2, promptsPerRound: 320, completionsPerPrompt: 4, trainer: 'ppo' });
    // The quick variant keeps the mechanics with a tenth of the data.
    const quick = await loadSpec(path.join(specsDir, 'demo-quick.yaml'));
    expect(specSummary(quick)).toMatchObject({ rounds: 2, promptsPerRound: 24, completionsPerPrompt: 4, trainer: 'ppo' });
  });

  it('loads the larger example', async () => {
    const spec = await loadSpec(path.join(specsDir, 'instructions-large.yaml'));
    expect(spec.rounds).toMatchObject({ count: 6, completionsPerPrompt: 9, promptsPerRound: 400 });
    expect(spec.labeling.quorum).toEqual({ share: 0.9 });
    expect(spec.storage.artifacts).toBe('s3://hone-artifacts/experiments');
  });

  it('names the file in validation errors and resolves onnxFolder next to it', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, 'name: b\nrounds:\n  count: 0\n');
    await expect(loadSpec(bad)).rejects.toThrow('bad.yaml:3:3 rounds.count: must be ≥ 1 (got 0)');
    await expect(loadSpec(bad)).rejects.toBeInstanceOf(SpecError);

    const onnx = path.join(dir, 'onnx.yaml');
    await writeFile(onnx, 'name: o\nmodel: { onnxFolder: models/policy }\n');
    expect((await loadSpec(onnx)).model).toEqual({ source: 'onnx', onnxFolder: path.join(dir, 'models', 'policy') });
  });

  it('says plainly when the file is missing', async () => {
    await expect(loadSpec(path.join(dir, 'nope.yaml'))).rejects.toThrow(`cannot read experiment spec '${path.join(dir, 'nope.yaml')}': no such file`);
  });
});
