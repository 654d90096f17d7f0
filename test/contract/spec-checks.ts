import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { AdapterSpec } from '../../src/core/adapter';

const SECRET_LIKE = /(password|passwd|secret|token|apikey|api_key|devkey|private|credential)/i;

/** Compiles an adapter's config spec under ajv strict; returns the property paths that look secret but lack x-secret. */
export function checkSpec(spec: AdapterSpec): { unmarked: string[] } {
  const ajv = new Ajv2020({ strict: true, allErrors: true, useDefaults: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-pii', schemaType: 'boolean' });
  ajv.compile(spec.configSchema);
  const unmarked: string[] = [];
  const walk = (schema: unknown, at: string): void => {
    if (!schema || typeof schema !== 'object') return;
    const s = schema as Record<string, unknown>;
    const props = s.properties as Record<string, Record<string, unknown>> | undefined;
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (SECRET_LIKE.test(k) && v['x-secret'] !== true && v.type === 'string') unmarked.push(`${at}/${k}`);
        walk(v, `${at}/${k}`);
      }
    }
    for (const key of ['items', 'oneOf', 'anyOf', 'allOf', '$defs']) {
      const sub = s[key];
      if (Array.isArray(sub)) sub.forEach((x, i) => walk(x, `${at}/${key}/${i}`));
      else if (sub && typeof sub === 'object') {
        if (key === '$defs') for (const [k, v] of Object.entries(sub)) walk(v, `${at}/$defs/${k}`);
        else walk(sub, `${at}/${key}`);
      }
    }
  };
  walk(spec.configSchema, '');
  return { unmarked };
}
