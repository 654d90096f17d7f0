import type { HttpClient, HttpResponse } from '../../src/core/http';
import type { Logger } from '../../src/core/logger';
import { meshError, type MeshBodyKind, type MeshOp } from './errors';

/** What the client needs from the adapter config. */
export interface MeshClientConfig {
  apiBaseUrl: string;
  eventsBaseUrl: string;
  token: string;
  profileId: number;
  sendCookie: boolean;
  timeoutMs?: number;
}

export interface MeshClientDeps {
  http: HttpClient;
  log: Logger;
  now(): Date;
}

export type Params = Record<string, string | number | undefined>;

/** Text of the "session ended" answer (OctoDiary issue #5): matched loosely, case-insensitive. */
const SESSION_ENDED = /сесси[яи][^.]*заверш/i;

const is2xx = (s: number): boolean => s >= 200 && s < 300;

/** Kind and parsed JSON (if any) of a body read as text. */
export function inspectBody(res: HttpResponse<unknown>): { kind: MeshBodyKind; json?: unknown } {
  const type = (res.headers['content-type'] ?? '').toLowerCase();
  const text = typeof res.data === 'string' ? res.data.trim() : '';
  if (typeof res.data !== 'string' && res.data !== undefined && res.data !== null) return { kind: 'json', json: res.data };
  if (text === '') return { kind: 'empty' };
  if (type.includes('html') || /^<(!doctype|html)/i.test(text)) return { kind: 'html' };
  try {
    return { kind: 'json', json: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'other' };
  }
}

/**
 * The МЭШ family mobile API with a MESH token from config (sources §4.2–4.3). Every call sends
 * the token three ways as octodiary does (`Authorization: Bearer`, `Auth-Token`, cookie
 * `aupd_token`), plus `profile-id`, `x-mes-subsystem: familymp` and `client-type: diary-mobile`.
 * No login here: a refused or ended token is GW_SRC_AUTH_FAILED (see errors.ts). Bodies are read as
 * text, so an HTML page where JSON was expected gets a code, not a parser crash.
 */
export class MeshClient {
  constructor(private readonly cfg: MeshClientConfig, private readonly deps: MeshClientDeps) {}

  headers(): Record<string, string> {
    return {
      Accept: 'application/json',
      Authorization: `Bearer ${this.cfg.token}`,
      'Auth-Token': this.cfg.token,
      'profile-id': String(this.cfg.profileId),
      'x-mes-subsystem': 'familymp',
      'client-type': 'diary-mobile',
      ...(this.cfg.sendCookie ? { Cookie: `aupd_token=${this.cfg.token}` } : {}),
    };
  }

  /** GET `{api}/family/mobile/v1/<path>`. */
  family<T>(path: string, params: Params, op: MeshOp = 'family'): Promise<T> {
    return this.get<T>(`${this.cfg.apiBaseUrl}/family/mobile/v1/${path}`, params, `/family/mobile/v1/${path}`, op);
  }

  /** GET `{events}/api/eventcalendar/v1/api/events`. */
  events<T>(params: Params): Promise<T> {
    return this.get<T>(`${this.cfg.eventsBaseUrl}/api/eventcalendar/v1/api/events`, params, '/api/eventcalendar/v1/api/events', 'events');
  }

  private async get<T>(url: string, params: Params, pathTemplate: string, op: MeshOp): Promise<T> {
    const clean: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(params)) if (v !== undefined) clean[k] = v;
    const res = await this.deps.http.request<unknown>({
      method: 'GET', url, pathTemplate, responseType: 'text', headers: this.headers(), params: clean,
      ...(this.cfg.timeoutMs ? { timeoutMs: this.cfg.timeoutMs } : {}),
    });
    const body = inspectBody(res);
    if (!is2xx(res.status)) {
      const err = body.json && typeof body.json === 'object' ? body.json as { type?: unknown; description?: unknown } : undefined;
      const vendorType = typeof err?.type === 'string' ? err.type.toLowerCase() : undefined;
      const ended = typeof err?.description === 'string' && SESSION_ENDED.test(err.description);
      throw meshError(
        { op, status: res.status, body: body.kind, ...(vendorType ? { vendorType } : {}), ...(ended ? { signal: 'session-ended' as const } : {}) },
        { pathTemplate, retryAfter: res.headers['retry-after'], now: this.deps.now() },
      );
    }
    if (body.kind !== 'json') throw meshError({ op, status: res.status, body: body.kind, signal: 'bad-body' }, { pathTemplate });
    return body.json as T;
  }
}
