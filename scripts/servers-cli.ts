/**
 * The `npm run servers` command line (scripts/servers.ts is its entry point): parses the
 * arguments, reads secrets from the environment or stdin (never from the command line, which
 * other users of the host can read), and calls the servers service.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { databaseUrl, panelReopenAfterSeconds } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { createSecretBox } from '../lib/crypto/secret-box';
import { createDbPool } from '../lib/db/create-pool';
import { AppError } from '../lib/errors';
import { createServersService, type ConnectionTest, type ServerSummary, type ServersService } from '../usecases/servers-service';

/** Usage text printed by `help` and on a usage error. */
export const SERVERS_USAGE = `Usage: npm run servers -- <command> [options]

  list [--json]                         every server: open/closed, health, load, inbound, last error
  show ID [--json]                      one server
  test ID                               log in to a stored server's panel and list its inbounds
  test --panel-url URL [--web-base-path /p] [--username U]
                                        the same for a panel not added yet
  add --name N --panel-url URL [--web-base-path /p] [--username U] --inbound ID
      [--endpoint host:port] [--location L] [--max-users N] [--sub-base-url URL] [--closed] [--no-test]
                                        add a row selling one inbound (tests the panel first)
  add --name N --same-panel-as ID --inbound ID [...]
                                        another inbound of an already added panel, as its own row
  edit ID [--name N] [--location L] [--endpoint host:port] [--max-users N] [--inbound ID]
      [--panel-url URL] [--web-base-path /p] [--sub-base-url URL] [--redetect]
                                        (--panel-url '' retires a closed row: no more probes or reconciling)
  credentials ID [--username U] [--no-test]
                                        rotate the password or API token (tested before stored)
  disable ID | enable ID                close / open a server to new subscriptions
  reopen ID [--force]                   open a closed server once healthy for PANEL_REOPEN_AFTER_SECONDS
  remove ID                             delete a row no subscription ever used

Secrets: PANEL_PASSWORD or PANEL_API_TOKEN in the environment, or --password-stdin / --token-stdin
(first line of stdin). Needs DATABASE_URL and PANEL_CREDENTIALS_KEY.`;

/** What the command line talks to; the entry point passes the process's own. */
export interface CliIo {
  env: Record<string, string | undefined>;
  /** All of stdin (called only with --password-stdin / --token-stdin). */
  readStdin: () => Promise<string>;
  out: (line: string) => void;
  err: (line: string) => void;
}

const cliConfig = z.object({
  DATABASE_URL: databaseUrl,
  PANEL_CREDENTIALS_KEY: z.string().min(1).describe('Key that encrypts panel secrets (secret)'),
  PANEL_PASSWORD: z.string().min(1).optional(),
  PANEL_API_TOKEN: z.string().min(1).optional(),
  PANEL_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  PANEL_REOPEN_AFTER_SECONDS: panelReopenAfterSeconds,
});

const options = {
  json: { type: 'boolean' },
  name: { type: 'string' },
  'panel-url': { type: 'string' },
  'web-base-path': { type: 'string' },
  username: { type: 'string' },
  inbound: { type: 'string' },
  endpoint: { type: 'string' },
  location: { type: 'string' },
  'max-users': { type: 'string' },
  'sub-base-url': { type: 'string' },
  'same-panel-as': { type: 'string' },
  closed: { type: 'boolean' },
  'no-test': { type: 'boolean' },
  redetect: { type: 'boolean' },
  force: { type: 'boolean' },
  'password-stdin': { type: 'boolean' },
  'token-stdin': { type: 'boolean' },
} as const;

class UsageError extends Error {}

function int(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new UsageError(`${what} must be a whole number, got '${value}'`);
  return parsed;
}

function requireId(positionals: string[]): number {
  const id = int(positionals[1], 'the server id');
  if (id === undefined) throw new UsageError(`'${positionals[0] ?? ''}' needs a server id`);
  return id;
}

function formatTest(test: ConnectionTest): string[] {
  if (!test.ok) return [`panel test FAILED: ${test.error}: ${test.message}`];
  return [
    `panel OK: 3X-UI ${test.apiVersion}, ${test.latencyMs} ms, ${test.inbounds.length} inbound(s)`,
    ...test.inbounds.map(
      (inbound) =>
        `  inbound ${inbound.id}: ${inbound.protocol} ${inbound.network}/${inbound.security} port ${inbound.port}` +
        ` ${inbound.enable ? 'enabled' : 'DISABLED'}, ${inbound.clients} client(s)${inbound.remark === '' ? '' : ` '${inbound.remark}'`}`,
    ),
  ];
}

function formatList(servers: ServerSummary[]): string[] {
  const header = ['id', 'name', 'open', 'health', 'load', 'inbound', 'api', 'endpoint', 'location', 'last error'];
  const rows = servers.map((server) => [
    String(server.id),
    server.name,
    server.open ? 'open' : `closed (${server.closedReason ?? 'operator'})`,
    server.status === 'up'
      ? `up${server.upSince === null ? '' : ` since ${server.upSince.toISOString().slice(0, 16)}`}`
      : `DOWN since ${server.downSince?.toISOString().slice(0, 16) ?? '?'}`,
    `${server.users}/${server.maxUsers} (${Math.round(server.load * 100)}%)`,
    server.inboundId === null ? '-' : String(server.inboundId),
    `${server.apiVersion ?? '?'}/${server.auth}`,
    server.endpoint,
    server.location ?? '',
    server.lastError ?? '',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  return [header, ...rows].map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** Secrets from --password-stdin / --token-stdin, else the environment; never from argv. */
async function readSecrets(values: { 'password-stdin'?: boolean; 'token-stdin'?: boolean }, config: z.infer<typeof cliConfig>, io: CliIo) {
  if (values['password-stdin'] === true && values['token-stdin'] === true)
    throw new UsageError('give --password-stdin or --token-stdin, not both');
  if (values['password-stdin'] === true || values['token-stdin'] === true) {
    const line = (await io.readStdin()).split(/\r?\n/)[0] ?? '';
    if (line === '') throw new UsageError('stdin was empty');
    return values['password-stdin'] === true ? { password: line, apiToken: undefined } : { password: undefined, apiToken: line };
  }
  return { password: config.PANEL_PASSWORD, apiToken: config.PANEL_API_TOKEN };
}

async function run(
  service: ServersService,
  positionals: string[],
  values: ReturnType<typeof parse>['values'],
  config: z.infer<typeof cliConfig>,
  io: CliIo,
): Promise<number> {
  const command = positionals[0];
  const json = (value: unknown) => io.out(JSON.stringify(value, null, 2));
  switch (command) {
    case 'list': {
      const servers = await service.list();
      if (values.json === true) json(servers);
      else for (const line of formatList(servers)) io.out(line);
      return 0;
    }
    case 'show': {
      const server = await service.show(requireId(positionals));
      if (values.json === true) json(server);
      else for (const line of formatList([server])) io.out(line);
      return 0;
    }
    case 'test': {
      let test: ConnectionTest;
      if (values['panel-url'] !== undefined) {
        const secrets = await readSecrets(values, config, io);
        test = await service.testPanel({
          panelUrl: values['panel-url'],
          webBasePath: values['web-base-path'] ?? '',
          username: values.username,
          ...secrets,
        });
      } else {
        test = await service.testServer(requireId(positionals));
      }
      for (const line of formatTest(test)) io.out(line);
      return test.ok ? 0 : 1;
    }
    case 'add': {
      const inboundId = int(values.inbound, '--inbound');
      if (values.name === undefined || inboundId === undefined) throw new UsageError('add needs --name and --inbound');
      const samePanelAs = int(values['same-panel-as'], '--same-panel-as');
      const access =
        samePanelAs === undefined
          ? {
              panelUrl: values['panel-url'] ?? '',
              webBasePath: values['web-base-path'] ?? '',
              username: values.username,
              ...(await readSecrets(values, config, io)),
            }
          : undefined;
      const { server, test } = await service.add({
        name: values.name,
        access,
        samePanelAs,
        inboundId,
        endpoint: values.endpoint,
        location: values.location,
        maxUsers: int(values['max-users'], '--max-users'),
        subBaseUrl: values['sub-base-url'],
        closed: values.closed === true,
        test: values['no-test'] !== true,
      });
      if (test !== null) for (const line of formatTest(test)) io.out(line);
      io.out(
        `server ${server.id} '${server.name}' added (inbound ${server.xui_inbound_id}, endpoint ${server.endpoint}, ${server.is_active ? 'open' : 'closed'}); the worker probes it within PANEL_PROBE_INTERVAL_SECONDS`,
      );
      return 0;
    }
    case 'edit': {
      const serverId = requireId(positionals);
      const changes = {
        ...(values.name === undefined ? {} : { name: values.name }),
        ...(values.location === undefined ? {} : { location: values.location === '' ? null : values.location }),
        ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
        ...(values['max-users'] === undefined ? {} : { maxUsers: int(values['max-users'], '--max-users') }),
        ...(values.inbound === undefined ? {} : { xuiInboundId: int(values.inbound, '--inbound') }),
        ...(values['panel-url'] === undefined ? {} : { xuiPanelUrl: values['panel-url'] === '' ? null : values['panel-url'] }),
        ...(values['web-base-path'] === undefined ? {} : { xuiWebBasePath: values['web-base-path'] }),
        ...(values['sub-base-url'] === undefined ? {} : { xuiSubBaseUrl: values['sub-base-url'] === '' ? null : values['sub-base-url'] }),
        ...(values.redetect === true ? { resetApiVersion: true } : {}),
      };
      if (Object.keys(changes).length === 0) throw new UsageError('edit needs at least one field to change');
      const server = await service.edit(serverId, changes);
      for (const line of formatList([await service.show(server.id)])) io.out(line);
      return 0;
    }
    case 'credentials': {
      const serverId = requireId(positionals);
      const secrets = await readSecrets(values, config, io);
      const credentials = {
        ...(values.username === undefined ? {} : { username: values.username }),
        ...(secrets.password === undefined ? {} : { password: secrets.password }),
        ...(secrets.apiToken === undefined ? {} : { apiToken: secrets.apiToken }),
      };
      const { test } = await service.rotateCredentials(serverId, credentials, { test: values['no-test'] !== true });
      if (test !== null) for (const line of formatTest(test)) io.out(line);
      io.out(`server ${serverId}: credentials replaced`);
      return 0;
    }
    case 'disable':
    case 'enable': {
      const server = command === 'disable' ? await service.disable(requireId(positionals)) : await service.enable(requireId(positionals));
      io.out(`server ${server.id} '${server.name}' is ${server.is_active ? 'open' : 'closed'} to new subscriptions`);
      return 0;
    }
    case 'reopen': {
      const result = await service.reopen(requireId(positionals), { force: values.force === true });
      if (result.reopened) {
        io.out(`server ${result.server.id} '${result.server.name}' re-opened`);
        return 0;
      }
      const why = {
        'already-open': 'it is already open',
        down: 'its panel is down (or not probed up yet); --force opens it anyway',
        'not-healthy-long-enough': `it has not been healthy for PANEL_REOPEN_AFTER_SECONDS (${config.PANEL_REOPEN_AFTER_SECONDS} s) yet; --force opens it anyway`,
      }[result.reason ?? 'down'];
      io.err(`server ${result.server.id} not re-opened: ${why}`);
      return result.reason === 'already-open' ? 0 : 1;
    }
    case 'remove': {
      const serverId = requireId(positionals);
      await service.remove(serverId);
      io.out(`server ${serverId} removed`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

function parse(args: string[]) {
  return parseArgs({ args, options, allowPositionals: true, strict: true });
}

/**
 * Runs one command. @returns the exit code: 0 done, 1 refused (bad input, panel test failed,
 * unknown server), 2 usage error
 */
export async function runServersCli(args: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${SERVERS_USAGE}`);
    return 2;
  }
  const command = parsed.positionals[0];
  if (command === undefined || command === 'help') {
    io.out(SERVERS_USAGE);
    return command === undefined ? 2 : 0;
  }
  const config = parseConfig(cliConfig, io.env);
  const db = await createDbPool(config.DATABASE_URL, { maximumPoolSize: 1 });
  try {
    const service = createServersService({
      db,
      secretBox: createSecretBox(config.PANEL_CREDENTIALS_KEY),
      panelTimeoutMs: config.PANEL_TIMEOUT_MS,
      reopenAfterSeconds: config.PANEL_REOPEN_AFTER_SECONDS,
      actor: { type: 'system', component: 'servers-cli' },
    });
    return await run(service, parsed.positionals, parsed.values, config, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${SERVERS_USAGE}`);
      return 2;
    }
    if (error instanceof AppError) {
      io.err(`${error.code}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await db.end();
  }
}
