// Compiles the work tree (jobs API + library) into `<dir>` for `bench/hot-path.mjs`, without touching
// `dist/` (other engineers build and run it). tsc leaves the `nestjs-tiered-cache` alias as written, so it is
// rewritten to a relative path here, as `nest build` does; `<dir>/node_modules` links to the packages (inside
// `<dir>`, never beside it: a `node_modules` in a shared parent such as /tmp would be found by every
// other program there, e.g. the dist-package test's consumer folder, which must not see our packages).
//   node bench/build-snapshot.mjs /tmp/hp/after
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = resolve(process.argv[2] ?? '');
if (!process.argv[2] || out.startsWith(resolve(root))) throw new Error('give an output directory outside the work tree');
rmSync(out, { recursive: true, force: true });
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'apps/jobs-api/tsconfig.app.json'), '--outDir', out], { stdio: 'inherit' });
symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'));
// The aliases as tsconfig.json maps them (`nestjs-tiered-cache`, `nestjs-tiered-cache/migration`, `nestjs-tiered-cache/*`).
const paths = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).compilerOptions.paths;
const target = (alias) => {
  const exact = paths[alias]?.[0];
  const star = paths['nestjs-tiered-cache/*']?.[0];
  const source = exact ?? star?.replace('*', alias.slice('nestjs-tiered-cache/'.length));
  return source && join(out, source.replace(/^\.\//, '').replace(/\.ts$/, '.js'));
};
const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
for (const file of walk(join(out, 'apps')).filter((f) => f.endsWith('.js'))) {
  const text = readFileSync(file, 'utf8');
  const rewritten = text.replace(/(['"])(nestjs-tiered-cache(?:\/[\w-]+)?)\1/g, (whole, quote, alias) => {
    const resolved = target(alias);
    if (!resolved) return whole;
    let rel = relative(dirname(file), resolved);
    if (!rel.startsWith('.')) rel = `./${rel}`;
    return `${quote}${rel}${quote}`;
  });
  if (rewritten !== text) writeFileSync(file, rewritten);
}
// The jobs API's assets, as `nest build` copies them (nest-cli.json): without the page's index.html the app
// does not start.
const nest = JSON.parse(readFileSync(join(root, 'nest-cli.json'), 'utf8')).projects['jobs-api'];
for (const asset of nest.compilerOptions?.assets ?? []) {
  const source = join(root, nest.sourceRoot, asset.replace(/\/\*\*\/\*$/, ''));
  cpSync(source, join(out, nest.sourceRoot, asset.replace(/\/\*\*\/\*$/, '')), { recursive: true });
}
console.log(`built ${out}`);
