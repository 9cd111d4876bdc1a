import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { ToolInstallError } from '../../lib/errors';

const run = promisify(execFile);

/** Where Debian's chromium package puts the browser. */
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * Finds Chromium for the browser test (`CHROMIUM_PATH`, else Debian's), installing Debian's
 * `chromium` package with apt when it is missing and we are root. Playwright's own browser
 * download is never used (it cannot be reached here and is not needed).
 *
 * @throws ToolInstallError saying what was tried
 */
export async function ensureChromium(): Promise<string> {
  const configured = process.env.CHROMIUM_PATH;
  if (configured !== undefined && configured !== '') {
    if (existsSync(configured)) return configured;
    throw new ToolInstallError(`CHROMIUM_PATH=${configured} does not exist`);
  }
  if (existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  if (process.getuid?.() !== 0) {
    throw new ToolInstallError("Chromium is missing: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH");
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], {
      env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 15 * 60_000,
    });
  try {
    await install();
  } catch {
    try {
      await run('apt-get', ['update', '-q'], { env, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 });
      await install();
    } catch (error) {
      throw new ToolInstallError('apt-get could not install chromium', { cause: error });
    }
  }
  if (!existsSync(DEBIAN_CHROMIUM)) throw new ToolInstallError('apt-get installed chromium but /usr/bin/chromium is missing');
  return DEBIAN_CHROMIUM;
}
