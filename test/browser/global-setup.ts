import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import integrationSetup from '../support/global-setup';
import { CHROMIUM_PATH } from '../support/browser';

/** The stack (as for the integration tests), Chromium, and dist/web built from the current sources. */
export default async function globalSetup(): Promise<void> {
  await integrationSetup();
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  execFileSync(process.execPath, [join(__dirname, '../../scripts/build-web.mjs')], { stdio: 'inherit' });
}
