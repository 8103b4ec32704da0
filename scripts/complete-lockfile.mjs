// Restores lockfile entries for optional, platform-specific binaries (e.g. jest's resolver bindings) that
// `npm install` leaves out when the registry it talks to does not carry every platform's build. Without the
// entries `npm ci` refuses the lockfile ("Missing: … from lock file"); with them, npm skips the binaries
// whose `os`/`cpu` do not match and fetches the right one on each machine.
// Run after every `npm install`: `node scripts/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 's390x', 'riscv64', 'wasm32'];
const added = [];

for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${name}`;
    if (packages[nested] || packages[`node_modules/${name}`]) continue;
    const parts = name.split(/[-/]/);
    const os = OS.find((o) => parts.includes(o));
    const cpu = CPU.find((c) => parts.includes(c) || parts.some((p) => p.startsWith(c)));
    const restored = { version, optional: true };
    if (entry.dev) restored.dev = true;
    if (os) restored.os = [os];
    if (cpu) restored.cpu = [cpu];
    packages[`node_modules/${name}`] = restored;
    added.push(`${name}@${version}`);
  }
}

const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `restored ${added.length} platform entries:\n  ${added.join('\n  ')}` : 'lockfile complete');
