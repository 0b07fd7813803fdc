// Builds the browser pages (apps/waitroom/web/<page>/main.ts, one folder per page; shared code in
// web/shared/) into dist/web/<page>/main-<hash>.js and .css, minified, with a manifest.json that the
// service (apps/waitroom/src/pages/web-assets.ts) reads to name the hashed files in its HTML.
// Hashed names let /assets/ answer with a year-long immutable cache. Also writes .br and .gz beside
// each file, which @fastify/static serves to browsers that accept them.
//
//   node scripts/build-web.mjs           one build (npm run build runs it)
//   node scripts/build-web.mjs --watch   rebuild on change (the service re-reads the manifest in development)
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const webDir = join(root, 'apps/waitroom/web');
const outDir = join(root, 'dist/web');
const watch = process.argv.includes('--watch');

const pages = readdirSync(webDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(webDir, entry.name, 'main.ts')))
  .map((entry) => entry.name)
  .sort();

/** Writes manifest.json ({page: {js, css}}) and the compressed copies after every build. */
const manifestPlugin = {
  name: 'manifest',
  setup(build) {
    build.onStart(() => {
      rmSync(outDir, { recursive: true, force: true });
      mkdirSync(outDir, { recursive: true });
    });
    build.onEnd((result) => {
      if (result.errors.length > 0) return;
      const manifest = {};
      for (const [file, output] of Object.entries(result.metafile.outputs)) {
        if (!output.entryPoint) continue;
        const page = relative(webDir, join(root, output.entryPoint)).split(/[\\/]/)[0];
        const asset = (path) => relative(outDir, join(root, path)).split('\\').join('/');
        manifest[page] = { js: asset(file), css: output.cssBundle ? asset(output.cssBundle) : null };
      }
      for (const file of Object.keys(result.metafile.outputs)) {
        const bytes = readFileSync(join(root, file));
        writeFileSync(`${join(root, file)}.gz`, gzipSync(bytes, { level: 9 }));
        writeFileSync(
          `${join(root, file)}.br`,
          brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
      writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      const sizes = Object.entries(result.metafile.outputs)
        .map(
          ([file, output]) => `${relative(outDir, join(root, file))} ${(output.bytes / 1024).toFixed(1)} KiB`,
        )
        .join(', ');
      console.log(`[build-web] ${pages.length} page(s) -> dist/web: ${sizes}`);
    });
  },
};

const options = {
  absWorkingDir: root,
  entryPoints: pages.map((page) => ({ in: join(webDir, page, 'main.ts'), out: `${page}/main` })),
  outdir: outDir,
  entryNames: '[dir]/[name]-[hash]',
  assetNames: '[dir]/[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  // Browsers of the last few years; the pages use nothing newer (EventSource, fetch, <dialog>).
  target: ['es2020', 'chrome100', 'edge100', 'firefox100', 'safari15.4'],
  tsconfig: join(webDir, 'tsconfig.json'),
  metafile: true,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
  plugins: [manifestPlugin],
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
  console.log('[build-web] watching apps/waitroom/web');
} else {
  await esbuild.build(options);
}
