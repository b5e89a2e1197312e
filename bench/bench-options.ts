import * as path from 'node:path';

/** Command line of `npm run bench -- [--rounds N (8)] [--seconds S (1)] [--ttfb-samples N] [--profile] [--baseline DIST]`. */
export interface BenchOptions {
  rounds: number;
  /** Length of one load run. */
  seconds: number;
  ttfbSamples: number;
  /** Run the logging gateway under `node --cpu-prof` and summarise the profile. */
  profile: boolean;
  /**
   * Another compiled tree (its `dist` folder) whose gateway runs as the extra target
   * `gateway-before`, interleaved with this one: before/after numbers for a change.
   */
  baseline: string | undefined;
  /** Use this Postgres instead of starting the embedded one. */
  databaseUrl: string | undefined;
  /** After the measured rounds, this many more gateway requests (`store` on) while sampling its RSS; default 200,000. */
  soak: number;
}

function positive(flag: string, raw: string | undefined): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
  return n;
}

// The bench is a developer CLI, not part of the app: it reads its own flags and DATABASE_URL here.
export function readBenchOptions(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): BenchOptions {
  // 8 rounds of 1 s: with 4 of 0.8 s, two runs of one build differed by more than a target's margin (bench/PROFILE.md).
  const options: BenchOptions = { rounds: 8, seconds: 1, ttfbSamples: 300, profile: false, baseline: undefined, databaseUrl: env.DATABASE_URL || undefined, soak: 200_000 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--rounds') options.rounds = Math.round(positive(flag, argv[++i]));
    else if (flag === '--seconds') options.seconds = positive(flag, argv[++i]);
    else if (flag === '--ttfb-samples') options.ttfbSamples = Math.round(positive(flag, argv[++i]));
    else if (flag === '--profile') options.profile = true;
    else if (flag === '--baseline') options.baseline = path.resolve(argv[++i] ?? '');
    else if (flag === '--soak') {
      // 0 turns the soak off.
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0) throw new Error('--soak needs a whole number of requests (0: no soak)');
      options.soak = n;
    }
    else throw new Error(`unknown flag ${flag} (known: --rounds N, --seconds S, --ttfb-samples N, --profile, --baseline DIST, --soak N)`);
  }
  return options;
}
