import { loadWorkerSettings } from '../worker/worker-settings';
import { noticeOf } from './worker-process';
import { workflowTuningFromEnv } from '../server/workflow-tuning';

describe('settings read from the environment', () => {
  it('HONE_WORKFLOW_TUNING: known keys, positive integers, errors that name the variable', () => {
    expect(workflowTuningFromEnv({})).toBeUndefined();
    expect(workflowTuningFromEnv({ HONE_WORKFLOW_TUNING: '{"heartbeatTimeoutMs":5000}' })).toEqual({ heartbeatTimeoutMs: 5000 });
    expect(() => workflowTuningFromEnv({ HONE_WORKFLOW_TUNING: '{"heartbeat":5}' })).toThrow(/HONE_WORKFLOW_TUNING: unknown key "heartbeat"/);
    expect(() => workflowTuningFromEnv({ HONE_WORKFLOW_TUNING: '{"heartbeatTimeoutMs":-1}' })).toThrow(/heartbeatTimeoutMs must be a positive integer/);
    expect(() => workflowTuningFromEnv({ HONE_WORKFLOW_TUNING: 'fast' })).toThrow(/must be a JSON object/);
  });

  it('worker settings: defaults, queues, and a message naming the bad variable', () => {
    expect(loadWorkerSettings({})).toEqual({ queues: ['control', 'train'], ortThreads: undefined, trainConcurrency: 1, shutdownGraceSeconds: 2, shutdownForceSeconds: 60, heartbeatThrottleMs: 1000, logLevel: 'info' });
    expect(loadWorkerSettings({ HONE_WORKER_QUEUES: 'train', HONE_ORT_THREADS: '2' })).toMatchObject({ queues: ['train'], ortThreads: 2 });
    expect(() => loadWorkerSettings({ HONE_WORKER_QUEUES: 'gpu' })).toThrow(/^HONE_WORKER_QUEUES must be control, train or control,train/);
    expect(() => loadWorkerSettings({ HONE_ORT_THREADS: 'many' })).toThrow(/^HONE_ORT_THREADS must be a whole number/);
  });

  it('shows only the worker log lines worth a glance', () => {
    expect(noticeOf('{"time":"t","level":"info","name":"hone-worker","msg":"activity completed","ms":3}')).toBeUndefined();
    expect(noticeOf('{"time":"t","level":"warn","name":"hone-worker","msg":"activity failed","activity":"runPpoEpochs"}')).toBe('worker warn: activity failed (activity=runPpoEpochs)');
    expect(noticeOf('{"level":"info","msg":"training resumed from checkpoint","units":4}')).toBe('worker info: training resumed from checkpoint (units=4)');
    expect(noticeOf('TypeError: boom')).toBe('worker: TypeError: boom');
  });
});
