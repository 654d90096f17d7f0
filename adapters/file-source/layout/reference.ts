/**
 * The field reference of layout.md (Russian, for the people who make exports): one table per
 * entity with every column / element, its type, allowed values and whether it is required,
 * generated from the plans and the canonical schemas. A test keeps layout.md equal to it.
 */
import { ENTITIES } from '../../../src/core/records';
import { COMMON_SCHEMA_FILE, loadSchemaFiles } from '../../../src/infra/schemas';
import { plans, type FieldKind } from './plan';

type Json = Record<string, unknown>;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  date: 'дата', 'datetime-utc': 'дата-время', datetime: 'дата-время', 'date-or-datetime': 'дата или дата-время', time: 'время', phone: 'телефон',
};

function typeName(k: FieldKind): string {
  switch (k.t) {
    case 'string': return (k.format && TYPE_NAMES[k.format]) ?? 'текст';
    case 'integer': return 'целое';
    case 'number': return k.nullable ? 'число или пусто' : 'число';
    case 'boolean': return 'да/нет';
    case 'ref': return `ссылка: ${k.entity}`;
    case 'ref-by': return `ссылка (тип — по ${k.by})`;
    case 'array': return `список: ${typeName(k.items)} (через \`\\|\`)`;
    case 'object': return 'объект';
  }
}

export function fieldReferenceMarkdown(): string {
  const files = loadSchemaFiles();
  const defs = (files.find((f) => f.file === COMMON_SCHEMA_FILE)?.schema.$defs ?? {}) as Record<string, Json>;
  const resolve = (n: unknown): Json | undefined => {
    const node = n as Json | undefined;
    const ref = typeof node?.$ref === 'string' ? node.$ref.split('/').pop() : undefined;
    return ref ? resolve(defs[ref]) : node;
  };
  const enumOf = (n: unknown): string => {
    const node = resolve(n);
    if (!node) return '';
    if (Array.isArray(node.enum)) return `: ${node.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
    if (Array.isArray(node.anyOf)) {
      const parts = (node.anyOf as unknown[]).map(resolve);
      const e = parts.find((p) => Array.isArray(p?.enum));
      const ext = parts.some((p) => typeof p?.pattern === 'string' && p.pattern.startsWith('^ext:'));
      if (e) return `: ${(e.enum as unknown[]).map((v) => `\`${String(v)}\``).join(', ')}${ext ? ' или `ext:…`' : ''}`;
    }
    return node.items ? enumOf(node.items) : '';
  };
  const rows = (fields: Readonly<Record<string, FieldKind>>, props: Json | undefined, prefix: string, required: readonly string[]): string[] =>
    Object.entries(fields).flatMap(([name, k]) => {
      const path = `${prefix}${name}`;
      const schema = resolve(props?.[name]);
      if (k.t === 'object') return rows(k.props, schema?.properties as Json | undefined, `${path}.`, k.required.map((r) => `${path}.${r}`));
      if (k.t === 'array' && k.items.t === 'object') {
        const items = k.items;
        return rows(items.props, resolve(schema?.items)?.properties as Json | undefined, `${path}.N.`, items.required.map((r) => `${path}.N.${r}`));
      }
      return [`| \`${path}\` | ${typeName(k)}${enumOf(schema)} | ${required.includes(path) ? 'да' : ''} |`];
    });
  const out: string[] = [];
  for (const [entity, plan] of plans()) {
    const schema = files.find((f) => f.file === `${entity}.v1.schema.json`)?.schema;
    out.push(`### ${entity} — \`${ENTITIES[entity]}*.csv\`, \`<${entity}>\``, '', '| Поле | Тип | Обяз. |', '| --- | --- | --- |',
      ...rows(plan.fields, schema?.properties as Json | undefined, '', plan.required), '');
  }
  return out.join('\n');
}
