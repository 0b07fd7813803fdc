import { Injectable, Logger } from '@nestjs/common';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const ASSETS_PREFIX = '/assets/';

interface PageAssets {
  /** URL of the page's module script. */
  js: string;
  /** URL of its stylesheet, when it has one. */
  css: string | null;
}

type Manifest = Record<string, { js: string; css: string | null }>;

/**
 * The browser bundles that scripts/build-web.mjs writes to dist/web (hashed names listed in
 * dist/web/manifest.json), served under /assets/ with a year-long immutable cache: a new build
 * has new names, so nothing stale is ever served.
 */
@Injectable()
export class WebAssets {
  private readonly logger = new Logger('WebAssets');
  readonly directory: string | null = findBuildDirectory(__dirname);
  private manifest: Manifest | null = null;
  private manifestMtimeMs = 0;

  /** The URLs of one page's script and stylesheet, or null when the web build is missing. */
  of(page: string): PageAssets | null {
    const entry = this.readManifest()?.[page];
    if (!entry) return null;
    return { js: ASSETS_PREFIX + entry.js, css: entry.css ? ASSETS_PREFIX + entry.css : null };
  }

  register(fastify: FastifyInstance): void {
    if (!this.directory) {
      this.logger.warn('dist/web/manifest.json not found: run `npm run build` (or `npm run build:web`)');
      return;
    }
    void fastify.register(fastifyStatic, {
      root: this.directory,
      prefix: ASSETS_PREFIX,
      // Swagger's UI may have registered the plugin (and reply.sendFile) already.
      decorateReply: false,
      // build-web writes .br and .gz beside each file.
      preCompressed: true,
      maxAge: '365d',
      immutable: true,
      index: false,
      list: false,
      dotfiles: 'deny',
      // The manifest is for the server; only the hashed bundles are public.
      allowedPath: (path) => !path.endsWith('manifest.json'),
    });
  }

  /** Cached; re-read when the file changes, so `build-web --watch` needs no restart. */
  private readManifest(): Manifest | null {
    if (!this.directory) return null;
    const file = join(this.directory, 'manifest.json');
    try {
      const mtimeMs = statSync(file).mtimeMs;
      if (!this.manifest || mtimeMs !== this.manifestMtimeMs) {
        this.manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
        this.manifestMtimeMs = mtimeMs;
      }
    } catch (error) {
      if (!this.manifest) this.logger.warn(`cannot read ${file}: ${String(error)}`);
    }
    return this.manifest;
  }
}

/**
 * dist/web from wherever this file runs: the sources (apps/waitroom/src/pages, under ts-jest or
 * ts-node) or the build (dist/apps/waitroom/apps/waitroom/src/pages): the nearest folder up the
 * tree that holds dist/web/manifest.json, or that is dist/ and holds web/manifest.json.
 */
function findBuildDirectory(from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = basename(dir) === 'dist' ? join(dir, 'web') : join(dir, 'dist', 'web');
    if (existsSync(join(candidate, 'manifest.json'))) return candidate;
    if (dirname(dir) === dir) return null;
  }
}
