import { Injectable } from '@nestjs/common';
import { SimulatorConfig } from '../config/environment';

const JWKS_PROBE_TIMEOUT_MS = 2000;

/** Whether the waitroom's key set answers now, for the readiness probe (verification has its own cache). */
@Injectable()
export class JwksProbe {
  constructor(private readonly config: SimulatorConfig) {}

  async check(): Promise<{ reachable: true; keys: number } | { reachable: false; error: string }> {
    try {
      const response = await fetch(this.config.jwksUrl, {
        signal: AbortSignal.timeout(JWKS_PROBE_TIMEOUT_MS),
      });
      if (!response.ok) return { reachable: false, error: `HTTP ${response.status}` };
      const body = (await response.json()) as { keys?: unknown };
      if (!Array.isArray(body.keys) || body.keys.length === 0)
        return { reachable: false, error: 'no keys in the key set' };
      return { reachable: true, keys: body.keys.length };
    } catch (error) {
      return { reachable: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
}
