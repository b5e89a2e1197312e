// Builds the dashboard into dist/dashboard: each TSX/TS module compiled on its own by swc (the
// compiler the server build already uses), vendor ES modules copied next to it, and an import map
// so that the browser resolves `preact` and `uplot`. No bundler: see README, "Dashboard".
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { minify, transformFile } from '@swc/core';

const here = path.dirname(fileURLToPath(import.meta.url));
const srcDir = path.join(here, 'src');
const outDir = path.resolve(here, '..', '..', 'dist', 'dashboard');
const assetsDir = path.join(outDir, 'assets');

const vendor = {
  preact: 'preact',
  'preact/hooks': 'preact/hooks',
  'preact/jsx-runtime': 'preact/jsx-runtime',
  uplot: 'uplot/dist/uPlot.esm.js',
};
const vendorFile = (specifier) => `${specifier.replace(/\//g, '-')}.mjs`;

// Files are replaced atomically and stale ones removed at the end, never the whole folder first:
// a running admin app (or a second build, as parallel test files do) never sees a half-built tree.
const written = new Set();
async function put(file, content) {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
  written.add(file);
}
const copy = async (from, to) => put(to, await readFile(from));

async function listFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)])));
  return nested.flat();
}

async function sourceFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : [path.join(dir, e.name)])),
  );
  return nested.flat().filter((f) => /\.tsx?$/.test(f) && !/\.spec\.tsx?$/.test(f));
}

async function compile(file) {
  const relative = path.relative(srcDir, file).replace(/\.tsx?$/, '.js');
  const target = path.join(assetsDir, 'app', relative);
  const { code, map } = await transformFile(file, {
    swcrc: false,
    sourceMaps: true,
    sourceFileName: path.relative(path.dirname(target), file),
    jsc: {
      parser: { syntax: 'typescript', tsx: file.endsWith('.tsx') },
      transform: { react: { runtime: 'automatic', importSource: 'preact' } },
      target: 'es2022',
    },
    module: { type: 'es6' },
  });
  await put(target, `${code}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
  await put(`${target}.map`, map ?? '{}');
  const url = `/assets/app/${relative.split(path.sep).join('/')}`;
  // Type-only modules compile to nothing and are never requested: no point preloading them.
  return /^\s*export \{\s*\};?\s*$/m.test(code.replace(/^\/\/.*$/gm, '').trim()) ? null : url;
}

async function main() {
  const started = Date.now();

  const modules = (await Promise.all((await sourceFiles(srcDir)).map(compile))).filter(Boolean);

  const imports = {};
  for (const [specifier, request] of Object.entries(vendor)) {
    const from = fileURLToPath(import.meta.resolve(request));
    // uPlot ships its ES module unminified (145 kB); Preact's is minified already.
    const source = await readFile(from, 'utf8');
    const { code } = specifier === 'uplot' ? await minify(source, { module: true, compress: true, mangle: true }) : { code: source };
    await put(path.join(assetsDir, 'vendor', vendorFile(specifier)), code);
    imports[specifier] = `/assets/vendor/${vendorFile(specifier)}`;
  }
  await copy(fileURLToPath(import.meta.resolve('uplot/dist/uPlot.min.css')), path.join(assetsDir, 'vendor', 'uplot.css'));
  for (const file of ['styles.css', 'favicon.svg']) await copy(path.join(here, 'static', file), path.join(assetsDir, file));

  // Preloading every module turns the import waterfall into one parallel round.
  const preloads = [...Object.values(imports), ...modules.sort()]
    .map((href) => `    <link rel="modulepreload" href="${href}">`)
    .join('\n');
  const template = await readFile(path.join(here, 'static', 'index.html'), 'utf8');
  const html = template
    .replace('<!-- import-map -->', `<script type="importmap">${JSON.stringify({ imports })}</script>`)
    .replace('<!-- module-preloads -->', preloads.trimStart());
  // Last: the page only points at files that are already in place.
  await put(path.join(outDir, 'index.html'), html);
  for (const file of await listFiles(outDir)) {
    if (!written.has(file) && !file.endsWith('.tmp')) await rm(file, { force: true });
  }
  if (!process.argv.includes('--quiet')) {
    console.log(`dashboard: ${modules.length} modules -> ${path.relative(process.cwd(), outDir)} in ${Date.now() - started} ms`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
