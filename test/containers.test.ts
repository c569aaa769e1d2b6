import { describe, expect, it } from '@jest/globals';
import { DCLinter } from 'dclint';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfig } from '../src/config.js';

/**
 * The container files cannot run here (no Docker daemon in CI), so they are checked as files: the
 * Dockerfile parses and validates (dockerfile-utils, the VS Code Docker extension's validator), the
 * compose file validates against the Compose Specification's schema and its lint rules (dclint), and
 * both say what docs/OPERATIONS.md promises, with variables Docket's own configuration accepts.
 */
const root = new URL('..', import.meta.url).pathname;
const read = (file: string) => readFileSync(`${root}${file}`, 'utf8');

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const dockerfile = DockerfileParser.parse(text);

  it('validates with no problem', () => {
    expect(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('builds in one stage and runs a slim, non-root one with node as the command and a /healthz check', () => {
    const stages = dockerfile.getFROMs().map((f) => ({ image: f.getImageName(), stage: f.getBuildStage() }));
    expect(stages).toEqual([
      { image: 'node', stage: 'build' },
      { image: 'node', stage: 'runtime' },
    ]);
    const runtime = dockerfile
      .getInstructions()
      .slice(dockerfile.getInstructions().findIndex((i) => i.getArgumentsContent()?.includes('AS runtime')));
    const of = (keyword: string) => runtime.filter((i) => i.getKeyword() === keyword);
    // The runtime stage takes only what the build stage made.
    const copies = dockerfile.getCOPYs().slice(-of('COPY').length);
    expect(
      copies.map((c) =>
        c
          .getFlags()
          .find((f) => f.getName() === 'from')
          ?.getValue(),
      ),
    ).toEqual(['build', 'build', 'build']);
    expect(of('COPY').some((i) => /\/app\/dist \.\/dist$/.test(i.getArgumentsContent()!))).toBe(true);
    expect(of('RUN')).toEqual([]);
    expect(of('USER').map((i) => i.getArgumentsContent())).toEqual(['node']);
    // Exec form: node is the process that gets docker stop's SIGTERM (no npm, no shell in between).
    expect(of('CMD').map((i) => JSON.parse(i.getArgumentsContent()!))).toEqual([
      ['node', 'dist/src/main.js', 'serve'],
    ]);
    expect(of('HEALTHCHECK')[0]!.getArgumentsContent()).toContain('/healthz');
    expect(of('ENV')[0]!.getArgumentsContent()).toContain('NODE_ENV=production');
    // What CMD runs is what `npm run build` makes.
    expect(existsSync(`${root}dist/src/main.js`)).toBe(true);
    expect(read('.dockerignore').split('\n')).toEqual(
      expect.arrayContaining(['node_modules', 'dist', '.docket']),
    );
  });
});

describe('compose.yaml', () => {
  it('validates against the Compose Specification and its lint rules with no problem', () => {
    const linter = new DCLinter({ rules: {}, quiet: false, debug: false, exclude: [] });
    const [result] = linter.lintFiles([`${root}compose.yaml`], false);
    expect(
      result!.messages.map(
        (m: { line: number; message: string; rule: string }) => `${m.line}: ${m.message} (${m.rule})`,
      ),
    ).toEqual([]);
    expect(result!.errorCount).toBe(0);
  });

  type Service = {
    image?: string;
    build?: string;
    command?: string[];
    environment?: Record<string, string>;
    deploy?: { replicas?: number };
    depends_on?: Record<string, { condition: string }>;
  };
  const compose = parse(read('compose.yaml')) as { services: Record<string, Service> };
  const { services } = compose;
  /** The environment a service's container gets, with the compose file's required secrets filled in. */
  const envOf = (service: Service) =>
    Object.fromEntries(
      Object.entries(service.environment ?? {}).map(([k, v]) => [
        k,
        String(v).replace(/\$\{(\w+):\?[^}]*\}/g, (_m: string, name: string) =>
          name === 'JWT_SECRET' ? 'j'.repeat(64) : name === 'METRICS_TOKEN' ? 'm'.repeat(48) : 'secret',
        ),
      ]),
    );

  it('runs PostgreSQL, a three-member MongoDB replica set, one API and two workers', () => {
    expect(Object.keys(services).sort()).toEqual([
      'api',
      'mongo-init',
      'mongo1',
      'mongo2',
      'mongo3',
      'postgres',
      'worker',
    ]);
    for (const m of ['mongo1', 'mongo2', 'mongo3'])
      expect(services[m]!.command).toEqual(['mongod', '--replSet', 'rs0', '--bind_ip_all']);
    const init = services['mongo-init']!.command!.join(' ');
    for (const m of ['mongo1', 'mongo2', 'mongo3'] as const) expect(init).toContain(`host: '${m}:27017'`);
    expect(services.api!.build).toBe('.');
    expect(services.worker!.build).toBe('.');
    expect(services.api!.command).toEqual(['node', 'dist/src/main.js', 'serve']);
    expect(services.worker!.command).toEqual(['node', 'dist/src/main.js', 'worker']);
    expect(services.worker!.deploy?.replicas).toBe(2);
    expect(services.worker!.depends_on?.api?.condition).toBe('service_healthy');
  });

  it('configures the API and the workers with variables Docket accepts: jobs on the workers, in MongoDB', () => {
    const api = loadConfig(envOf(services.api!));
    expect(api.env).toBe('production');
    expect(api.schedulerInProcess).toBe(false);
    expect(api.mongoUrl).toMatch(
      /^mongodb:\/\/mongo1:27017,mongo2:27017,mongo3:27017\/docket\?replicaSet=rs0$/,
    );
    expect(api.databaseUrl).toMatch(/@postgres:5432\/docket$/);
    expect(api.ops.metrics.exposure).toBe('main');
    const worker = loadConfig(envOf(services.worker!));
    expect(worker.mongoUrl).toBe(api.mongoUrl);
    expect(worker.databaseUrl).toBe(api.databaseUrl);
    expect(worker.migrateOnStart).toBe(false);
    expect(worker.ops.metrics).toMatchObject({ exposure: 'port', port: 9464 });
  });
});
