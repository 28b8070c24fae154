import type { ExperimentSpec } from './experiment-spec-schema';

/**
 * The PPO settings of round `roundIndex` (0-based): `spec.ppo`, with `ppo.laterRounds`' iterations and epochs in
 * place of its own from the second round on. Pure; the workflow (through {@link specSummary}) and the PPO activity
 * both read a round's settings through it, so they agree on the round's iteration count.
 */
export function ppoForRound(spec: ExperimentSpec, roundIndex: number): ExperimentSpec['ppo'] {
  const later = roundIndex > 0 ? spec.ppo.laterRounds : undefined;
  if (!later) return spec.ppo;
  return { ...spec.ppo, iterations: later.iterations ?? spec.ppo.iterations, epochs: later.epochs ?? spec.ppo.epochs };
}
