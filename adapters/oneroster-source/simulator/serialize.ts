import { DEFAULT_PATHS, type Collection } from '../collections';
import type { Obj } from './data';
import type { FaultState } from './faults';

/** GUIDRef type → where the referenced object lives (for `href`). */
const REF_HOME: Readonly<Record<string, [keyof typeof DEFAULT_PATHS, string]>> = {
  org: ['rostering', '/orgs'], academicSession: ['rostering', '/academicSessions'], course: ['rostering', '/courses'],
  class: ['rostering', '/classes'], user: ['rostering', '/users'], category: ['gradebook', '/categories'],
  lineItem: ['gradebook', '/lineItems'], scoreScale: ['gradebook', '/scoreScales'],
};

const isRef = (x: unknown): x is { sourcedId: string; type: string } =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && typeof (x as Obj).sourcedId === 'string' && typeof (x as Obj).type === 'string' && Object.keys(x).length === 2;

/**
 * One stored object as the provider sends it: GUIDRefs get their `href` (or, with shape
 * `bare-refs`, become bare ids); the other shape changes and the `malformed` fault (a result
 * without `student`) apply here.
 */
export function wireObject(c: Collection, o: Obj, origin: string, f: FaultState): Obj {
  const ref = (r: { sourcedId: string; type: string }): unknown => {
    if (f.shape('bare-refs')) return r.sourcedId;
    const home = REF_HOME[r.type];
    return { href: home ? `${origin}${DEFAULT_PATHS[home[0]]}${home[1]}/${encodeURIComponent(r.sourcedId)}` : `${origin}/${r.type}/${r.sourcedId}`, sourcedId: r.sourcedId, type: r.type };
  };
  const withRefs = (x: Obj): Obj => {
    const r: Obj = {};
    for (const [k, v] of Object.entries(x)) {
      if (isRef(v)) r[k] = ref(v);
      else if (Array.isArray(v)) r[k] = v.map((e) => (isRef(e) ? ref(e) : typeof e === 'object' && e !== null && !Array.isArray(e) ? withRefs(e as Obj) : e));
      else r[k] = v;
    }
    return r;
  };
  const out = withRefs(o);
  if (f.shape('inactive') && out.status === 'tobedeleted') out.status = 'inactive';
  if (c === 'results') {
    if (f.shape('score-string') && typeof out.score === 'number') out.score = String(out.score);
    if (f.takeMalformed()) delete out.student;
  }
  if (c === 'enrollments' && f.shape('primary-boolean') && typeof out.primary === 'string') out.primary = out.primary === 'true';
  if (c === 'users' && f.shape('roles-1.1') && Array.isArray(o.roles)) {
    const first = o.roles[0] as Obj | undefined;
    delete out.roles;
    if (first) { out.role = first.role; out.orgs = [ref(first.org as { sourcedId: string; type: string })]; }
  }
  return out;
}

/** An `imsx_StatusInfo` failure body (portal-and-standards §B1 error model). */
export function statusInfo(codeMinor: string, description: string): Obj {
  return {
    imsx_codeMajor: 'failure', imsx_severity: 'error', imsx_description: description,
    imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: codeMinor }] },
  };
}
