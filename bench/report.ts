/** The results file's shape and the BENCHMARKS.md table made from it. */

export interface Results {
  date: string;
  startedAt: string;
  quick: boolean;
  command: string;
  machine: { nproc: number; cpu: string; node: string; loadavgAtStart: number[] };
  keyPrefix: string;
  seconds?: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [phase: string]: any;
}

const f = (x: unknown, d = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a');
const pct = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? `${Math.round(x * 100)}%` : 'n/a');
const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? '**met**' : '**missed**');

export function renderMarkdown(r: Results): string {
  const rows: string[] = [];
  const a = r.accept;
  if (a) {
    rows.push(
      `| 1. Accept path \`POST /heroku/resources\` (50 conn, ${a.durationSeconds} s, no worker) | ${f(a.product.rps)} req/s; p50 ${f(a.product.p50)} ms, p99 ${f(a.product.p99)} ms | ${f(a.baseline.rps)} req/s; p50 ${f(a.baseline.p50)} ms, p99 ${f(a.baseline.p99)} ms | ${pct(a.ratio)} | ≥ 60%, p99 < 25 ms | ${verdict(a.ratio >= 0.6 && a.product.p99 < 25)} |`,
    );
  }
  const s = r.sso;
  if (s) {
    rows.push(
      `| 2. SSO \`POST /sso/login\` (50 conn, ${s.durationSeconds} s) | ${f(s.product.rps)} req/s; p50 ${f(s.product.p50)} ms, p99 ${f(s.product.p99)} ms | ${f(s.baseline.rps)} req/s; p50 ${f(s.baseline.p50)} ms, p99 ${f(s.baseline.p99)} ms | ${pct(s.ratio)} | ≥ 70% | ${verdict(s.ratio >= 0.7)} |`,
    );
  }
  const p = r.pipeline;
  if (p) {
    rows.push(
      `| 3. Pipeline: ${f(p.addonsPerRound)} add-ons end to end, 1 worker (concurrency ${p.workerConcurrency}), ${p.hopsPerProvisionJob} queue hop(s) each | ${f(p.product.perSecond, 1)} add-ons/s; ${f(p.product.commandsPerAddon, 1)} Redis commands/add-on | ${f(p.baseline.perSecond, 1)} jobs/s; ${f(p.baseline.commandsPerJob, 1)} commands/job | ${pct(p.ratio)} | ≥ 50% | ${verdict(p.ratio >= 0.5)} |`,
    );
  }
  const o = r.overhead;
  if (o) {
    rows.push(
      `| 4. Overhead: time-to-provisioned / critical-path waits (${o.latencyMs} ms a call, deploy ${f(o.deployDelayMs)} ms, DEPLOY_POLL_MS ${o.deployPollMs}) | median ${f(o.medianMs)} ms | ideal ${f(o.criticalCalls)} calls × ${o.latencyMs} ms + ${f(o.deployDelayMs)} ms = ${f(o.idealMs)} ms | ${f(o.ratio, 3)} | ≤ 1.10 | ${verdict(o.ratio <= 1.1)} |`,
    );
  }
  const lines = [
    `Run ${r.date} (${r.startedAt}), \`${r.command}\`, ${r.seconds ?? '?'} s. Machine: nproc ${r.machine.nproc}, ${r.machine.cpu}, Node ${r.machine.node}, load average at start ${r.machine.loadavgAtStart.join(' / ')} (shared machine: absolute figures are noisy; the same-run ratio is the figure to read). Medians of 3 rounds, product and baseline alternating. Raw figures: \`bench/results/${r.date}${r.quick ? '-quick' : ''}.json\`.`,
    '',
    '| figure | product | baseline (same run) | ratio | target | |',
    '|---|---|---|---|---|---|',
    ...rows,
  ];
  const w = r.webFootprint;
  const wk = r.workerFootprint;
  const rf = r.redisFootprint;
  if (w || wk || rf) {
    lines.push('', '| 5. Footprint | value | |', '|---|---|---|');
    if (w) lines.push(`| web RSS over ${f(w.addons)} accepted add-ons (first → last decile mean, ${w.samples} samples) | ${f(w.rssFirstDecileMB, 1)} MB → ${f(w.rssLastDecileMB, 1)} MB | ${w.rssLastDecileMB <= w.rssFirstDecileMB * 1.1 ? 'no upward trend' : '**grows**'} |`);
    if (wk) lines.push(`| worker RSS over ${f(wk.addons)} provisioned add-ons (first → last decile mean, ${wk.samples} samples) | ${f(wk.rssFirstDecileMB, 1)} MB → ${f(wk.rssLastDecileMB, 1)} MB | ${wk.rssLastDecileMB <= wk.rssFirstDecileMB * 1.1 ? 'no upward trend' : '**grows**'} |`);
    if (w) lines.push(`| Redis bytes per accepted record / per waiting job (MEMORY USAGE) | ${f(w.acceptedRecordBytes)} B / ${f(w.waitingJobBytes)} B | |`);
    if (rf) {
      lines.push(`| Redis bytes per provisioned record (MEMORY USAGE) | ${f(rf.provisionedRecordBytes)} B | |`);
      lines.push(`| Redis bytes per finished job kept (job hash + its share of the completed set) | ${f(rf.finishedJobBytes)} B; ≤ ${f(rf.keptJobsAtBoundMB, 1)} MB at the bound | |`);
      lines.push(`| kept jobs ≤ bound (removeOnComplete ${f(rf.removeOnComplete.count)} / ${f(rf.removeOnComplete.age / 3600)} h, removeOnFail ${f(rf.removeOnFail.count)} / ${f(rf.removeOnFail.age / 3600)} h) | ${f(rf.keptCompleted)} completed, ${f(rf.keptFailed)} failed | ${rf.boundHolds ? '**holds**' : '**over**'} |`);
    }
  }
  return lines.join('\n');
}
