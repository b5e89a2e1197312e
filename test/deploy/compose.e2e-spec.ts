import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { PROVIDERS } from '@app/providers';
import { type AppProcess, GATEWAY_MAIN, startAppProcess, stopProcesses } from '../support/gateway-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env.config';
import { describeWhen, NEEDS_BUILD, NEEDS_DATABASE_URL } from '../support/describe-when';

const ROOT = path.resolve(__dirname, '../..');

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: unknown[];
  expose?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
}

const hasDockerCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

/** What `docker compose up` would run, as docker-compose resolves it with a .env made from .env.example. */
function resolvedStack(): { services: Record<string, Service>; projectDir: string } {
  // A project directory of its own: the file says env_file .env, and the checkout has none.
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-compose-'));
  for (const name of ['docker-compose.yml', 'Dockerfile', 'deploy']) symlinkSync(path.join(ROOT, name), path.join(dir, name));
  copyFileSync(path.join(ROOT, '.env.example'), path.join(dir, '.env'));
  const run = spawnSync('docker-compose', ['config'], { cwd: dir, encoding: 'utf8', env: { PATH: testEnv.path } });
  if (run.status !== 0) throw new Error(`docker-compose config failed: ${run.stderr}`);
  return { services: (load(run.stdout) as { services: Record<string, Service> }).services, projectDir: dir };
}

// CI installs docker-compose (.ci/run); elsewhere this validation runs where it is installed.
(hasDockerCompose || testEnv.ci ? describe : describe.skip)('docker-compose.yml', () => {
  let services: Record<string, Service>;
  let projectDir: string;
  beforeAll(() => {
    ({ services, projectDir } = resolvedStack());
  });

  it('is valid and runs Postgres, Redis, a one-shot migration, gateway replicas behind a proxy, and the admin app', () => {
    expect(Object.keys(services).sort()).toEqual(['admin', 'gateway', 'migrate', 'postgres', 'proxy', 'redis']);
    // --scale gateway=N: no fixed host port, the proxy holds the one address.
    expect(services.gateway.ports ?? []).toHaveLength(0);
    expect(JSON.stringify(services.proxy.ports)).toContain('8080');
    expect(services.migrate.restart).toBe('no');
    for (const name of ['gateway', 'admin']) {
      expect(services[name].depends_on?.migrate.condition).toBe('service_completed_successfully');
      expect(services[name].restart).toBe('unless-stopped');
      expect(services[name].healthcheck?.test.join(' ')).toContain('/ready');
    }
    expect(services.proxy.depends_on?.gateway.condition).toBe('service_healthy');
  });

  it('passes every provider variable through, mounts the config and gives the spill file a volume', () => {
    const variables = PROVIDERS.flatMap((p) => (p.kind.credentials ? [`${p.envPrefix}_BASE_URL`] : [`${p.envPrefix}_API_KEY`]));
    variables.push('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GEMINI_BASE_URL');
    for (const name of ['gateway', 'admin']) {
      const env = services[name].environment ?? {};
      for (const v of variables) expect({ service: name, variable: v, passed: v in env }).toEqual({ service: name, variable: v, passed: true });
      const mounted = (services[name].volumes ?? []).map((v) => v.split(':')[1]);
      expect(mounted).toContain(env.GATEWAY_CONFIG);
    }
    const gateway = services.gateway;
    expect((gateway.volumes ?? []).some((v) => v.startsWith('gateway-data:') && v.split(':')[1] === gateway.environment?.DATA_DIR)).toBe(true);
    expect(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/chown node:node \/data[\s\S]*USER node/);
  });

  // The processes share only Postgres, so this part needs a server (CI: PostgreSQL 15).
  describeWhen(testEnv.databaseUrl && existsSync(GATEWAY_MAIN), `${NEEDS_DATABASE_URL}, or ${NEEDS_BUILD}`)('the image start commands, run the way compose runs them', () => {
    let db: TestDatabase;
    let running: AppProcess[] = [];
    beforeAll(async () => {
      db = await createTestDatabase({ migrated: false });
    });
    afterAll(async () => {
      await stopProcesses(running);
      await db?.drop();
    });

    /** The service's environment, with what only exists inside the stack pointed at this machine. */
    function envOf(service: Service, dataDir: string): Record<string, string> {
      const env: Record<string, string> = { ...service.environment };
      env.DATABASE_URL = db.url;
      if (testEnv.redisUrl) env.REDIS_URL = testEnv.redisUrl;
      else delete env.REDIS_URL;
      env.HOST = '127.0.0.1';
      env.DATA_DIR = dataDir;
      if (env.GATEWAY_PORT) env.GATEWAY_PORT = '0';
      if (env.ADMIN_PORT) env.ADMIN_PORT = '0';
      // The file mounted at GATEWAY_CONFIG, read from where compose mounts it from.
      const mount = (service.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === env.GATEWAY_CONFIG);
      if (!mount) throw new Error(`GATEWAY_CONFIG ${env.GATEWAY_CONFIG} is not mounted`);
      env.GATEWAY_CONFIG = path.join(ROOT, path.relative(projectDir, mount[0]));
      return env;
    }

    function runCommand(service: Service, env: Record<string, string>): { status: number | null; output: string } {
      const [cmd, ...args] = service.command ?? [];
      expect(cmd).toBe('node');
      const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { PATH: testEnv.path, ...env }, encoding: 'utf8', timeout: 60_000 });
      return { status: r.status, output: `${r.stdout}${r.stderr}` };
    }

    it('migrate applies the migrations and exits 0; two gateways and the admin app then pass their own healthchecks', async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'gw-compose-data-'));
      const migrate = runCommand(services.migrate, envOf(services.migrate, dataDir));
      expect(migrate).toMatchObject({ status: 0 });
      expect(migrate.output).toContain('migrations applied');

      const start = (name: string) => {
        const [, ...args] = services[name].command ?? [];
        // Node's own flags pass as they are; the script is resolved from the project root.
        const script = args.find((a) => !a.startsWith('-'))!;
        return startAppProcess(path.join(ROOT, script), envOf(services[name], dataDir), args.map((a) => (a === script ? path.join(ROOT, a) : a)));
      };
      const settled = await Promise.allSettled([start('gateway'), start('gateway'), start('admin')]);
      running = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      for (const s of settled) if (s.status === 'rejected') throw s.reason;

      for (const [i, name] of (['gateway', 'gateway', 'admin'] as const).entries()) {
        const port = new URL(running[i].url).port;
        const [kind, ...check] = services[name].healthcheck?.test ?? [];
        expect(kind).toBe('CMD');
        expect(check[0]).toBe('node');
        const portVar = name === 'admin' ? 'ADMIN_PORT' : 'GATEWAY_PORT';
        const r = spawnSync(process.execPath, check.slice(1), { env: { PATH: testEnv.path, [portVar]: port }, encoding: 'utf8', timeout: 10_000 });
        expect({ name, status: r.status, stderr: r.stderr }).toEqual({ name, status: 0, stderr: '' });
      }
      // The migration ran before them: nobody applied anything again.
      for (const p of running) expect(p.output()).not.toContain('migrations applied');
    }, 120_000);
  });
});
