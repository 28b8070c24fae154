/**
 * Inter-annotator agreement for K-way rankings (pure functions; labelingAgreement reads the data).
 *
 * Pairwise agreement — for a task ranked by two labelers, each of its C(K,2) sample pairs is ordered by each
 * labeler as "i better", "j better" or "tie". The pair agrees when both labelers give the same one of the three:
 * ties are handled explicitly, so a tie against a strict order is a disagreement and a tie against a tie an
 * agreement. Agreement = agreeing pairs / all pairs, pooled over tasks. Its 95% CI treats tasks as clusters (pairs
 * of one task are not independent): a ratio estimator with the cluster-robust (linearisation) standard error.
 *
 * Krippendorff's α — units are the samples of doubly-ranked tasks, values are each labeler's rank of the sample,
 * with tied samples sharing the mid-rank of the positions they span (1-based). We use the interval metric
 * (δ² = (c − k)²) on these ranks: the ranks of one task are equally spaced positions, and a one-place swap should
 * cost less than putting best last, which the nominal metric would not see. The ordinal metric is available too;
 * both are tested against Krippendorff's published example.
 */

/** One labeler's ranking of a task: groups best → worst (a group of two or more is a tie). */
export type RankGroups = readonly (readonly string[])[];

/** A task ranked by two labelers. */
export interface DoublyRanked {
  a: RankGroups;
  b: RankGroups;
}

export interface PairwiseAgreement {
  /** Share of sample pairs both labelers order the same way (ties explicit); null without pairs. */
  agreement: number | null;
  /** 95% CI with tasks as clusters; null with fewer than two tasks. */
  ci95: [number, number] | null;
  pairs: number;
  agreeingPairs: number;
  /** Pairs at least one labeler tied. */
  tiePairs: number;
  tasks: number;
}

function relation(rank: Map<string, number>, i: string, j: string): -1 | 0 | 1 {
  const d = (rank.get(i) ?? NaN) - (rank.get(j) ?? NaN);
  if (Number.isNaN(d)) throw new Error(`sample ${rank.has(i) ? j : i} is missing from a ranking`);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/** Group index of every sample (ties share one). */
function groupRank(groups: RankGroups): Map<string, number> {
  const m = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((id) => m.set(id, i)));
  return m;
}

/** Per-task (agreeing pairs, pairs, tie pairs). */
export function taskPairCounts(t: DoublyRanked): { agree: number; pairs: number; ties: number } {
  const ra = groupRank(t.a);
  const rb = groupRank(t.b);
  const ids = [...ra.keys()].sort();
  if (ids.length !== rb.size || ids.some((id) => !rb.has(id))) throw new Error('the two rankings of a task must rank the same samples');
  let agree = 0;
  let pairs = 0;
  let ties = 0;
  for (let x = 0; x < ids.length; x++) {
    for (let y = x + 1; y < ids.length; y++) {
      const p = relation(ra, ids[x], ids[y]);
      const q = relation(rb, ids[x], ids[y]);
      pairs++;
      if (p === q) agree++;
      if (p === 0 || q === 0) ties++;
    }
  }
  return { agree, pairs, ties };
}

/** Pooled pairwise agreement with a cluster-robust 95% CI (see the module comment). */
export function pairwiseAgreement(tasks: readonly DoublyRanked[]): PairwiseAgreement {
  const per = tasks.map(taskPairCounts);
  const pairs = per.reduce((s, t) => s + t.pairs, 0);
  const agreeing = per.reduce((s, t) => s + t.agree, 0);
  const tiePairs = per.reduce((s, t) => s + t.ties, 0);
  if (pairs === 0) return { agreement: null, ci95: null, pairs: 0, agreeingPairs: 0, tiePairs: 0, tasks: tasks.length };
  const p = agreeing / pairs;
  let ci95: [number, number] | null = null;
  const T = per.length;
  if (T >= 2) {
    const ss = per.reduce((s, t) => s + (t.agree - p * t.pairs) ** 2, 0);
    const se = Math.sqrt((T / (T - 1)) * ss) / pairs;
    ci95 = [Math.max(0, p - 1.959964 * se), Math.min(1, p + 1.959964 * se)];
  }
  return { agreement: p, ci95, pairs, agreeingPairs: agreeing, tiePairs, tasks: T };
}

/** Krippendorff's difference functions. */
export type AlphaMetric = 'nominal' | 'ordinal' | 'interval' | 'ratio';

/**
 * Krippendorff's α for a reliability matrix: `units[u][c]` is coder c's value for unit u, or null when missing.
 * Units with fewer than two values are not pairable and are ignored. Returns null when fewer than two values are
 * pairable or the expected disagreement is 0 (all values equal: α undefined). Follows Krippendorff (2011),
 * "Computing Krippendorff's Alpha-Reliability": coincidence matrix o_ck, marginals n_c,
 * α = 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck.
 */
export function krippendorffAlpha(units: readonly (readonly (number | null)[])[], metric: AlphaMetric): number | null {
  const values = [...new Set(units.flatMap((u) => u.filter((v): v is number => v !== null)))].sort((x, y) => x - y);
  const idx = new Map(values.map((v, i) => [v, i]));
  const V = values.length;
  const o: number[][] = Array.from({ length: V }, () => new Array<number>(V).fill(0));
  for (const unit of units) {
    const vs = unit.filter((v): v is number => v !== null);
    const m = vs.length;
    if (m < 2) continue;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) o[idx.get(vs[i])!][idx.get(vs[j])!] += 1 / (m - 1);
  }
  const nc = o.map((row) => row.reduce((s, x) => s + x, 0));
  const n = nc.reduce((s, x) => s + x, 0);
  if (n < 2) return null;
  const delta2 = (c: number, k: number): number => {
    const vc = values[c];
    const vk = values[k];
    switch (metric) {
      case 'nominal':
        return c === k ? 0 : 1;
      case 'interval':
        return (vc - vk) ** 2;
      case 'ratio':
        return vc + vk === 0 ? 0 : ((vc - vk) / (vc + vk)) ** 2;
      case 'ordinal': {
        const [lo, hi] = c <= k ? [c, k] : [k, c];
        let s = 0;
        for (let g = lo; g <= hi; g++) s += nc[g];
        return (s - (nc[lo] + nc[hi]) / 2) ** 2;
      }
    }
  };
  let observed = 0;
  let expected = 0;
  for (let c = 0; c < V; c++) {
    for (let k = 0; k < V; k++) {
      const d = delta2(c, k);
      observed += o[c][k] * d;
      expected += nc[c] * nc[k] * d;
    }
  }
  if (expected === 0) return null;
  return 1 - ((n - 1) * observed) / expected;
}

/** 1-based mid-ranks: samples tied in a group share the mean of the positions the group spans. */
export function midRanks(groups: RankGroups): Map<string, number> {
  const m = new Map<string, number>();
  let pos = 1;
  for (const g of groups) {
    const mid = pos + (g.length - 1) / 2;
    for (const id of g) m.set(id, mid);
    pos += g.length;
  }
  return m;
}

/** The reliability matrix of doubly-ranked tasks: one unit per sample, two coders, mid-rank values. */
export function rankUnits(tasks: readonly DoublyRanked[]): number[][] {
  const units: number[][] = [];
  for (const t of tasks) {
    const ra = midRanks(t.a);
    const rb = midRanks(t.b);
    for (const id of [...ra.keys()].sort()) units.push([ra.get(id)!, rb.get(id) ?? NaN]);
  }
  return units;
}
