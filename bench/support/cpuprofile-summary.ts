/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by package and the top functions.
 * Used by `--cpu-prof=1` of the benchmarks to show where the service spends its CPU.
 *
 *   ts-node bench/support/cpuprofile-summary.ts <file.cpuprofile> [top]
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR, option } from './common';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  byPackage: { name: string; ms: number; share: number }[];
  topFunctions: { name: string; where: string; ms: number; share: number }[];
}

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (core)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  if (url.includes('/dist/apps/') || url.includes('/apps/waitroom/')) return 'waitroom (app code)';
  if (url.includes('/libs/')) return 'waitroom (libs)';
  return url;
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  let total = 0;
  const packages = new Map<string, number>();
  const functions = new Map<string, { where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const pkg = packageOf(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const where = url
      ? `${url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'} ${where}`;
    const entry = functions.get(key) ?? { where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  return {
    totalMs: total / 1000,
    byPackage: [...packages]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / total })),
    topFunctions: [...functions]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([key, entry]) => ({
        name: key.split(' ')[0],
        where: entry.where,
        ms: entry.us / 1000,
        share: entry.us / total,
      })),
  };
}

export function printProfileSummary(summary: ProfileSummary, packages = 15): void {
  console.log(`\nCPU profile: ${summary.totalMs.toFixed(0)} ms of samples (idle excluded), self time`);
  for (const entry of summary.byPackage.slice(0, packages)) {
    console.log(
      `  ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.ms.toFixed(0).padStart(7)} ms  ${entry.name}`,
    );
  }
  console.log('  top functions:');
  for (const entry of summary.topFunctions) {
    console.log(`  ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.name}  ${entry.where}`);
  }
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: cpuprofile-summary.ts <file.cpuprofile> [top]');
  printProfileSummary(summarizeProfile(file, Number(process.argv[3] ?? 25)));
}

/**
 * `--cpu-prof=1` of the join and relay benchmarks: node arguments that make the service write a
 * profile into a directory of this run (perturbs the figures a little), and, after the service
 * stopped, the summary of that profile.
 */
export function serviceProfiler(runPrefix: string) {
  const enabled = option('cpu-prof', '') !== '';
  const directory = join(RESULTS_DIR, 'profiles', runPrefix.replace(/:$/, ''));
  return {
    nodeArgs: enabled ? ['--cpu-prof', `--cpu-prof-dir=${directory}`] : [],
    /** Prints the summary and returns it for the results file; undefined when not profiling. */
    report(log: (line: string) => void): ({ file: string } & ProfileSummary) | undefined {
      if (!enabled) return undefined;
      const file = existsSync(directory)
        ? readdirSync(directory).find((name) => name.endsWith('.cpuprofile'))
        : undefined;
      if (!file) {
        log(`no CPU profile was written to ${directory}`);
        return undefined;
      }
      const summary = summarizeProfile(join(directory, file));
      printProfileSummary(summary);
      return { file: join(directory, file), ...summary };
    },
  };
}
