/** The results file's shape and the BENCHMARKS.md table made from it. */

export interface Results {
  date: string;
  startedAt: string;
  quick: boolean;
  command: string;
  machine: { nproc: number; cpu: string; node: string; loadavgAtStart: number[]; loadavgAtEnd?: number[] };
  keyPrefix: string;
  seconds?: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [phase: string]: any;
}

/** The run the before/after table compares with: the last committed BENCHMARKS.md run. */
export const BEFORE_RESULTS = 'bench/results/2026-11-27.json';

const f = (x: unknown, d = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a');
const pct = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? `${Math.round(x * 100)}%` : 'n/a');
const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? '**met**' : '**missed**');

const when = (r: Results) => `${r.date} ${r.startedAt.slice(11, 16)} UTC`;
const loadOf = (r: Results) => `load average at start ${r.machine.loadavgAtStart.join(' / ')}${r.machine.loadavgAtEnd ? `, at end ${r.machine.loadavgAtEnd.join(' / ')}` : ''}`;
const machineOf = (r: Results) => `nproc ${r.machine.nproc}, ${r.machine.cpu}, Node ${r.machine.node}, ${loadOf(r)}`;

/** Before (the last committed run) beside this run, figure by figure. */
function beforeAfter(b: Results, r: Results): string[] {
  const acc = (x: Results) => (x.accept ? `${pct(x.accept.ratio)} (${f(x.accept.product.rps)} vs ${f(x.accept.baseline.rps)} req/s), p99 ${f(x.accept.product.p99)} ms` : 'not run');
  const sso = (x: Results) => (x.sso ? `${pct(x.sso.ratio)} (${f(x.sso.product.rps)} vs ${f(x.sso.baseline.rps)} req/s), p99 ${f(x.sso.product.p99)} ms` : 'not run');
  const cpu = (v: unknown) => (typeof v === 'number' ? `${f(v, 2)} ms/add-on` : 'not measured');
  const pipeProduct = (x: Results) =>
    x.pipeline ? `${f(x.pipeline.product.perSecond, 1)} add-ons/s; worker CPU ${cpu(x.pipeline.product.workerCpuMsPerAddon)}; ${f(x.pipeline.product.commandsPerAddon, 1)} Redis commands/add-on` : 'not run';
  const pipeBase = (x: Results) => {
    const p = x.pipeline;
    if (!p) return 'not run';
    if (p.baselineKind !== 'steps-loop') return `${f(p.baseline.perSecond, 1)} no-op BullMQ jobs/s (the old baseline: unlike work)`;
    return `${f(p.baseline.perSecond, 1)} add-ons/s, the same steps in a loop; worker CPU ${cpu(p.baseline.workerCpuMsPerAddon)}`;
  };
  const pipeRatio = (x: Results) => (x.pipeline ? `${pct(x.pipeline.ratio)}${x.pipeline.baselineKind === 'steps-loop' ? '' : ' (vs no-op jobs)'}` : 'not run');
  const over = (x: Results) => (x.overhead ? `${f(x.overhead.ratio, 3)} (median ${f(x.overhead.medianMs)} ms vs ideal ${f(x.overhead.idealMs)} ms)` : 'not run');
  const webRss = (x: Results) => (x.webFootprint ? `${f(x.webFootprint.rssFirstDecileMB, 1)} → ${f(x.webFootprint.rssLastDecileMB, 1)} MB over ${f(x.webFootprint.addons)} add-ons` : 'not run');
  const workerRss = (x: Results) => (x.workerFootprint ? `${f(x.workerFootprint.rssFirstDecileMB, 1)} → ${f(x.workerFootprint.rssLastDecileMB, 1)} MB over ${f(x.workerFootprint.addons)} add-ons` : 'not run');
  const bytes = (x: Results) =>
    x.webFootprint && x.redisFootprint
      ? `${f(x.webFootprint.acceptedRecordBytes)} / ${f(x.webFootprint.waitingJobBytes)} / ${f(x.redisFootprint.provisionedRecordBytes)} / ${f(x.redisFootprint.finishedJobBytes)} B`
      : 'not run';
  const kept = (x: Results) => (x.redisFootprint ? `${f(x.redisFootprint.keptCompleted)} completed, ${f(x.redisFootprint.keptFailed)} failed: ${x.redisFootprint.boundHolds ? 'holds' : 'over'}` : 'not run');
  const row = (name: string, fn: (x: Results) => string) => `| ${name} | ${fn(b)} | ${fn(r)} |`;
  return [
    `Before: ${when(b)}, \`${b.command}\`, ${machineOf(b)} (\`${BEFORE_RESULTS}\`). After: this run, ${when(r)}, \`${r.command}\`${r.quick ? ' (smoke run: shorter rounds, 200 add-ons a pipeline round)' : ''}, ${machineOf(r)}.`,
    '',
    '| figure | before | after |',
    '|---|---|---|',
    row('1. accept: product / baseline, p99', acc),
    row('2. SSO: product / baseline, p99', sso),
    row('3. pipeline: product', pipeProduct),
    row('3. pipeline: baseline', pipeBase),
    row('3. pipeline: ratio', pipeRatio),
    row('4. overhead', over),
    row('5. web RSS (first → last decile)', webRss),
    row('5. worker RSS (first → last decile)', workerRss),
    row('5. Redis bytes: accepted record / waiting job / provisioned record / kept job', bytes),
    row('5. kept jobs ≤ bound', kept),
  ];
}

export function renderMarkdown(r: Results, before?: Results): string {
  const rows: string[] = [];
  const a = r.accept;
  if (a) {
    rows.push(
      `| 1. Accept path \`POST /heroku/resources\` (50 conn, ${a.durationSeconds} s, no worker) | ${f(a.product.rps)} req/s; p50 ${f(a.product.p50)} ms, p99 ${f(a.product.p99)} ms | ${f(a.baseline.rps)} req/s; p50 ${f(a.baseline.p50)} ms, p99 ${f(a.baseline.p99)} ms | ${pct(a.ratio)} | ≥ 65%, p99 < 25 ms | ${verdict(a.ratio >= 0.65 && a.product.p99 < 25)} |`,
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
      `| 3. Pipeline: ${f(p.addonsPerRound)} add-ons end to end, 1 worker (WORKER_CONCURRENCY ${p.workerConcurrency}), ${p.hopsPerProvisionJob} queue hop(s) each; baseline: the same provision steps in a loop, same concurrency, no queue, Redis or lock | ${f(p.product.perSecond, 1)} add-ons/s; worker CPU ${f(p.product.workerCpuMsPerAddon, 2)} ms/add-on; ${f(p.product.commandsPerAddon, 1)} Redis commands/add-on | ${f(p.baseline.perSecond, 1)} add-ons/s; worker CPU ${f(p.baseline.workerCpuMsPerAddon, 2)} ms/add-on | ${pct(p.ratio)} | ≥ 70% | ${verdict(p.ratio >= 0.7)} |`,
    );
  }
  for (const o of [r.overhead, r.overheadCh2].filter((x) => !!x)) {
    const what = o.target === 'ch2' ? `ch2: a dedicated proxy runs ${f(o.waitMs)} ms after its deployment` : o.target === 'omni' ? `omni: an API goes live ${f(o.waitMs)} ms after its deployment on a running gateway` : `deploy ${f(o.deployDelayMs)} ms`;
    rows.push(
      `| 4. Overhead: time-to-provisioned / critical-path waits (${what}; ${o.latencyMs} ms a call, DEPLOY_POLL_MS ${o.deployPollMs}) | median ${f(o.medianMs)} ms | ideal ${f(o.criticalCalls)} calls × ${o.latencyMs} ms + ${f(o.waitMs ?? o.deployDelayMs)} ms = ${f(o.idealMs)} ms | ${f(o.ratio, 3)} | ≤ 1.10 | ${verdict(o.ratio <= 1.1)} |`,
    );
    if (o.first && o.target === 'omni') {
      rows.push(
        `| 4. … the region's first add-on on omni, its gateway made first (${f(o.gatewayCreateMs)} ms); one add-on, the fresh worker's first job | ${f(o.first.ms)} ms | ideal ${f(o.first.critical)} calls × ${o.latencyMs} ms + ${f(o.gatewayCreateMs)} ms + ${f(o.waitMs)} ms = ${f(o.first.ideal)} ms | ${f(o.first.ratio, 3)} | — (one sample) | |`,
      );
    }
  }
  const lines = [
    `Run ${r.date} (${r.startedAt}), \`${r.command}\`, ${r.seconds ?? '?'} s. Machine: nproc ${r.machine.nproc}, ${r.machine.cpu}, Node ${r.machine.node}, ${loadOf(r)} (shared machine: absolute figures are noisy; the same-run ratio is the figure to read). Medians of 3 rounds, product and baseline alternating. Raw figures: \`bench/results/${r.date}${r.quick ? '-quick' : ''}.json\`.`,
    '',
    '| figure | product | baseline (same run) | ratio | target | |',
    '|---|---|---|---|---|---|',
    ...rows,
  ];
  if (p) {
    const c = p.product.cpuMsPerAddon ?? {};
    const bc = p.baseline.cpuMsPerAddon ?? {};
    lines.push(
      '',
      `Pipeline detail (medians, per add-on): CPU ms of the product's processes — worker ${f(c.worker, 2)}, web ${f(c.web, 2)}, Redis ${f(c.redis, 2)} (total ${f((c.worker ?? 0) + (c.web ?? 0) + (c.redis ?? 0), 2)}) — against the baseline's ${f(bc.worker, 2)}; the stand-ins and the bench (one process) used ${f(c.bench, 2)} ms in product rounds and ${f(bc.bench, 2)} ms in baseline rounds. Stand-in calls: ${f(p.product.standinCallsPerAddon, 1)} (product) and ${f(p.baseline.standinCallsPerAddon, 1)} (baseline). CPU from \`/proc/<pid>/stat\` (utime + stime) before and after each round.`,
    );
  }
  const t = r.targets;
  if (t) {
    lines.push(
      '',
      `| 6. Runtimes for ${f(t.addons)} add-ons (read from the stand-in once all are provisioned; the platform's API limit ${t.apiLimit} per gateway) | omni | ch2 | old design (CloudHub 1.0) |`,
      '|---|---|---|---|',
      `| runtimes | ${f(t.omni.gateways)} shared gateways (${t.omni.gatewayNames[0] ?? ''} … ${t.omni.gatewayNames[t.omni.gatewayNames.length - 1] ?? ''}), 0 applications | ${f(t.ch2.applications)} applications, 0 gateways | ${f(t.addons)} applications (one per add-on) |`,
      `| capacity (estimate; sources below the table) | ${f(t.omni.gateways)} Small Managed Omni Gateway entitlements | ${f(t.vCores.ch2, 1)} vCores (${t.vCores.ch2PerApplication} each) | ${f(t.vCores.cloudHub1, 1)} vCores (${t.vCores.cloudHub1PerAddon} each) |`,
      `| time to provision them all (WORKER_CONCURRENCY 10, no modelled waits) | ${f(t.omni.seconds, 1)} s | ${f(t.ch2.seconds, 1)} s | |`,
      `| a burst of ${t.omni.burst.addons} into an empty region | ${f(t.omni.burst.gateways)} gateways (ceil(${t.omni.burst.addons} / ${t.apiLimit}) = ${t.omni.burst.expected}: ${verdict(t.omni.burst.gateways === t.omni.burst.expected)}), ${f(t.omni.burst.seconds, 1)} s | ${f(t.ch2.burst.gateways)} gateways | |`,
    );
  }
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
  if (before) lines.push('', '**Before and after**', '', ...beforeAfter(before, r));
  return lines.join('\n');
}
