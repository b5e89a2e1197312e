import { readFileSync } from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  function: string;
  location: string;
  ms: number;
  percent: number;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

/** Self time per function (summed over its call sites) from a `--cpu-prof` file, largest first. */
export function topSelfTime(file: string, limit = 30): { totalMs: number; top: SelfTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byNode = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byNode.set(n.id, n);
  const selfUs = new Map<number, number>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
    totalUs += dt;
  }
  const byFunction = new Map<string, SelfTime>();
  for (const [id, us] of selfUs) {
    const frame = byNode.get(id)?.callFrame;
    if (!frame) continue;
    const name = frame.functionName || '(anonymous)';
    const location = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${name} ${location}`;
    const entry = byFunction.get(key) ?? { function: name, location, ms: 0, percent: 0 };
    entry.ms += us / 1000;
    byFunction.set(key, entry);
  }
  const top = [...byFunction.values()].sort((a, b) => b.ms - a.ms).slice(0, limit);
  for (const t of top) {
    t.percent = (100 * t.ms * 1000) / totalUs;
    t.ms = Math.round(t.ms);
  }
  return { totalMs: Math.round(totalUs / 1000), top };
}

export function formatSelfTime(summary: { totalMs: number; top: SelfTime[] }): string {
  const lines = [`total sampled ${summary.totalMs} ms`, '  self ms      %  function  (location)'];
  for (const t of summary.top) {
    lines.push(`${String(t.ms).padStart(8)} ${t.percent.toFixed(1).padStart(6)}  ${t.function}  ${t.location}`);
  }
  return lines.join('\n');
}

// Standalone: node dist/bench/cpu-profile.js <file.cpuprofile> [limit]
if (require.main === module) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: cpu-profile <file.cpuprofile> [limit]');
  console.log(formatSelfTime(topSelfTime(path.resolve(file), Number(process.argv[3] ?? 30))));
}
