/**
 * docker-compose.yml read as an operator would, without a Docker engine: it passes the Compose
 * Specification's JSON schema (test/compose/compose-spec.json, from compose-spec/compose-spec
 * commit 170098ba07d9f53c383a41bfd4c5166b0a4529a6, Apache-2.0) and has the properties the
 * deployment relies on. (No `docker compose` plugin is installed where this was written; where
 * one is, `docker compose config` on this file is the next check to add.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { apiConfigSchema } from '../../api/config';
import { botConfigSchema } from '../../bot/config';
import { workerConfigSchema } from '../../workers/config';
import { WORKER_NODE_OPTIONS } from '../../scripts/stack/worker-node-options';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const text = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(text, { merge: true }) as Compose;
const envExample = readFileSync(path.join(ROOT, '.env.example'), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  env_file?: unknown;
  ports?: string[];
  restart?: string;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  networks?: Record<string, { ipv4_address?: string } | null> | string[];
  volumes?: string[];
  pull_policy?: string;
}
interface Compose {
  services: Record<string, Service>;
  networks: Record<string, { ipam?: { config: Array<{ subnet: string }> } }>;
}
const services = compose.services;
const APP_IMAGE = '${APP_IMAGE:-vless-subscriptions:local}';
const ONE_SHOT = ['db-init', 'temporal-schema', 'temporal-namespace', 'setup'];
const env = (name: string) => services[name]?.environment ?? {};

describe('docker-compose.yml', () => {
  it('passes the Compose Specification schema', () => {
    // Its $schema names draft-07 without the trailing '#' Ajv registers it under; the keywords are draft-07.
    const { $schema: _draft, ...schema } = JSON.parse(
      readFileSync(path.join(ROOT, 'test', 'compose', 'compose-spec.json'), 'utf8'),
    ) as Record<string, unknown>;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    // As Compose validates it: after YAML loading, with the `<<` merge keys resolved.
    assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
    // The schema does catch mistakes: a misspelt key, a port given as an object of the wrong shape.
    assert.equal(validate({ services: { x: { image: 'a:1.0.0', helthcheck: { test: ['CMD', 'true'] } } } }), false);
    assert.equal(validate({ services: { x: { image: 'a:1.0.0', depends_on: { y: { condition: 'service_finished' } } } } }), false);
    // Where the compose plugin is installed, it must accept the file too (with every required
    // variable set); here it usually is not (no Docker engine).
    if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) {
      const required = [...new Set([...text.matchAll(/\$\{(\w+):\?/g)].map((match) => match[1] ?? ''))];
      const checked = spawnSync('docker', ['compose', '-f', path.join(ROOT, 'docker-compose.yml'), 'config', '--quiet'], {
        cwd: ROOT,
        env: {
          ...process.env,
          ...Object.fromEntries(required.map((name) => [name, 'x'.repeat(24)])),
          PANEL_CREDENTIALS_KEY: 'a'.repeat(64),
        },
        encoding: 'utf8',
      });
      assert.equal(checked.status, 0, checked.stderr);
    }
  });

  it('runs Temporal from temporalio/server with an admin-tools schema job and an idempotent namespace job', () => {
    assert.ok(!text.includes('auto-setup'), 'temporalio/auto-setup is deprecated');
    assert.match(services.temporal?.image ?? '', /^temporalio\/server:\d+\.\d+\.\d+$/);
    assert.match(services['temporal-schema']?.image ?? '', /^temporalio\/admin-tools:/);
    assert.equal(services.temporal?.depends_on?.['temporal-schema']?.condition, 'service_completed_successfully');
    assert.equal(services['temporal-namespace']?.depends_on?.temporal?.condition, 'service_healthy');
    assert.equal(
      services.setup?.depends_on?.['temporal-namespace']?.condition,
      'service_completed_successfully',
      'search attributes only after the namespace exists',
    );
    const namespaceScript = readFileSync(path.join(ROOT, 'deploy', 'temporal', 'create-namespace.sh'), 'utf8');
    assert.match(namespaceScript, /namespace describe[\s\S]*namespace create/, 'creates the namespace only when describe fails');
    const schemaScript = readFileSync(path.join(ROOT, 'deploy', 'temporal', 'setup-schema.sh'), 'utf8');
    assert.match(schemaScript, /setup-schema -v 0\.0/);
    assert.match(schemaScript, /update-schema/);
    assert.ok(!/\bcreate\b.*--db/.test(schemaScript), 'databases come from db-init, not from the temporal role');
  });

  it('gives Temporal and the app their own non-superuser roles; only db-init sees the superuser password', () => {
    assert.equal(env('temporal').POSTGRES_USER, 'temporal');
    assert.equal(env('temporal').DBNAME, 'temporal');
    assert.equal(env('temporal').VISIBILITY_DBNAME, 'temporal_visibility');
    for (const name of ['worker', 'api', 'bot'])
      assert.match(env(name).DATABASE_URL ?? '', /^postgres:\/\/vless_app:/, `${name} uses the app role`);
    assert.match(env('setup').DATABASE_URL ?? '', /^postgres:\/\/vless_migrator:/);
    const superuserReaders = Object.entries(services)
      .filter(([, service]) => JSON.stringify(service.environment ?? {}).includes('POSTGRES_PASSWORD'))
      .map(([name]) => name);
    assert.deepEqual(superuserReaders.sort(), ['db-init', 'postgres']);
  });

  it('binds the Temporal UI, Prometheus and Grafana to 127.0.0.1; the UI is read-only', () => {
    for (const name of ['temporal-ui', 'prometheus', 'grafana']) {
      const ports = services[name]?.ports ?? [];
      assert.ok(ports.length > 0 && ports.every((port) => port.startsWith('127.0.0.1:')), `${name} ports: ${ports.join(', ')}`);
    }
    assert.equal(env('temporal-ui').TEMPORAL_DISABLE_WRITE_ACTIONS, 'true');
    const published = Object.entries(services)
      .filter(([, service]) => (service.ports ?? []).some((port) => !port.startsWith('127.0.0.1:')))
      .map(([name]) => name);
    assert.deepEqual(published, ['caddy'], 'only the HTTPS proxy is reachable from outside');
  });

  it('puts Caddy with automatic HTTPS in front of the api and trusts X-Forwarded-For from Caddy only', () => {
    const caddyfile = readFileSync(path.join(ROOT, 'deploy', 'caddy', 'Caddyfile'), 'utf8');
    assert.match(caddyfile, /\{\$PUBLIC_DOMAIN\} \{[\s\S]*reverse_proxy api:3000/);
    assert.deepEqual(
      services.caddy?.ports,
      ['80:80', '443:443', '443:443/udp'],
      'HTTP (for the ACME challenge and redirects), HTTPS and HTTP/3',
    );
    assert.equal(services.api?.ports, undefined, 'the api publishes no port');
    const caddyNetworks = services.caddy?.networks as Record<string, { ipv4_address?: string }>;
    const caddyAddress = caddyNetworks.edge?.ipv4_address;
    assert.ok(caddyAddress !== undefined);
    assert.equal(env('api').TRUST_PROXY, caddyAddress, 'TRUST_PROXY names Caddy, never true');
    const subnet = compose.networks.edge?.ipam?.config[0]?.subnet ?? '';
    assert.ok(subnet.startsWith(caddyAddress.split('.').slice(0, 3).join('.')), 'Caddy address inside the edge subnet');
    assert.deepEqual(Object.keys(services.api?.networks ?? {}).sort(), ['backend', 'edge']);
  });

  it('has a restart policy everywhere, healthchecks on every long-running service, and one-shot jobs awaited', () => {
    for (const [name, service] of Object.entries(services)) {
      if (ONE_SHOT.includes(name)) {
        assert.match(service.restart ?? '', /^on-failure(:\d+)?$/, `${name} restart`);
        const awaited = Object.values(services).some((other) => other.depends_on?.[name]?.condition === 'service_completed_successfully');
        assert.ok(awaited, `something waits for ${name} to complete`);
      } else {
        assert.ok(['unless-stopped', 'always'].includes(service.restart ?? ''), `${name} restart: ${service.restart}`);
        assert.ok(service.healthcheck?.test !== undefined, `${name} has a healthcheck`);
      }
    }
  });

  it('builds the app image once and runs the compiled output from it', () => {
    const built = Object.entries(services)
      .filter(([, service]) => service.build !== undefined)
      .map(([name]) => name);
    assert.deepEqual(built, ['db-init']);
    for (const name of ['db-init', 'setup', 'worker', 'api', 'bot']) {
      assert.equal(services[name]?.image, APP_IMAGE, `${name} runs the app image`);
      if (name !== 'db-init') assert.equal(services[name]?.pull_policy, 'never', `${name} never pulls the local image`);
      assert.match(JSON.stringify(services[name]?.command), /node.*dist\/[\w-]+\.js/, `${name} runs compiled JavaScript`);
    }
    assert.deepEqual(
      services['worker']?.command,
      ['node', ...WORKER_NODE_OPTIONS.split(' '), 'dist/worker.js'],
      'the worker runs with the heap bound dev and the benches use',
    );
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    assert.match(runtime, /npm ci --omit=dev/);
    assert.match(runtime, /COPY --from=build \/app\/dist \.\/dist/);
    assert.ok(!/\btsx\b/.test(runtime.replace(/^#.*$/gm, '')), 'no tsx in the runtime stage');
  });

  it('pins every third-party image to an exact version', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.image === APP_IMAGE) continue;
      assert.match(service.image ?? '', /^[\w./-]+(:v?\d+\.\d+(\.\d+)?(-[\w.-]+)?|@sha256:[a-f0-9]{64})$/, `${name}: ${service.image}`);
    }
    const froms = [...readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    for (const from of froms) assert.match(from ?? '', /:\d+\.\d+\.\d+-/, `Dockerfile FROM ${from}`);
  });

  it('gives each app service only variables its own config reads, secrets only where needed', () => {
    const extra = new Set(['METRICS_PORT']);
    const readers: Record<string, Set<string>> = {
      worker: new Set(Object.keys(workerConfigSchema.shape)),
      api: new Set(Object.keys(apiConfigSchema.shape)),
      bot: new Set(Object.keys(botConfigSchema.shape)),
    };
    for (const [name, reads] of Object.entries(readers)) {
      assert.equal(services[name]?.env_file, undefined, `${name}: no whole .env`);
      for (const key of Object.keys(env(name))) assert.ok(reads.has(key) || extra.has(key), `${name} gets ${key}, which it does not read`);
    }
    const holders = (variable: string) =>
      Object.entries(services)
        .filter(([, service]) => variable in (service.environment ?? {}))
        .map(([name]) => name)
        .sort();
    assert.deepEqual(holders('PANEL_CREDENTIALS_KEY'), ['worker']);
    assert.deepEqual(holders('CLIENT_ID_SALT'), ['worker']);
    assert.deepEqual(holders('TELEGRAM_BOT_TOKEN'), ['bot', 'worker']);
    assert.match(text, /PUBLIC_BASE_URL: https:\/\/\$\{PUBLIC_DOMAIN:\?/, 'PUBLIC_BASE_URL is required, from the public domain');
  });

  it('names every required variable in .env.example', () => {
    const required = new Set([...text.matchAll(/\$\{(\w+):\?/g)].map((match) => match[1] ?? ''));
    assert.ok(required.has('POSTGRES_PASSWORD') && required.has('PUBLIC_DOMAIN'));
    for (const name of required) assert.match(envExample, new RegExp(`^#? ?${name}=`, 'm'), `.env.example lacks ${name}`);
  });

  it('provisions Prometheus and Grafana with the dashboard, scraping every process', () => {
    const prometheus = parse(readFileSync(path.join(ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ job_name: string }>;
    };
    const jobs = prometheus.scrape_configs.map((job) => job.job_name);
    for (const job of ['worker', 'temporal-sdk', 'api', 'bot', 'temporal-server'])
      assert.ok(jobs.includes(job), `Prometheus scrapes ${job}`);
    assert.equal(env('worker').TEMPORAL_METRICS_PORT, '9465');
    for (const mount of services.grafana?.volumes ?? []) {
      const source = mount.split(':')[0] ?? '';
      if (source.startsWith('./')) assert.ok(existsSync(path.join(ROOT, source)), `${source} exists`);
    }
    const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy', 'grafana', 'dashboards', 'vless-subscriptions.json'), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)).join('\n');
    for (const metric of [
      'vless_webhooks_total',
      'vless_webhook_duplicates_total',
      'vless_webhook_dispatch_total',
      'vless_payments',
      'vless_payment_to_key_seconds_24h',
      'vless_panel_calls_total',
      'vless_notifications',
      'vless_subscriptions',
      'vless_payments_parked',
      'vless_alerts_total',
      'temporal_',
    ]) {
      assert.ok(exprs.includes(metric), `the dashboard shows ${metric}`);
    }
  });
});
