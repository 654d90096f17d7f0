import { normName, textOf, type Fio } from '../../../src/infra/adapter-kit/mapping';

/** Mapping results and lenient field readers shared by the source adapters. */
export { gradeLevelOf, intOf, invalid, isObject, numOf, record, textOf, type Fio, type MapContext, type Mapped } from '../../../src/infra/adapter-kit/mapping';

/** Subject key: NetSchool's web diary names subjects but gives no id, so the name is the key. */
export function subjectKey(name: string): string {
  return `name:${normName(name)}`;
}

/** Class key: the class name within a school year (diary/init's classId is often 0). */
export function classKey(yearId: number, className: string): string {
  return `${yearId}:${className.replace(/\s+/g, '').toLowerCase()}`;
}

/** 'Фамилия Имя [Отчество]' (also initials 'Фамилия И. О.') → parts; undefined when fewer than two. */
export function parseFio(v: unknown): Fio | undefined {
  const t = textOf(v, 300);
  if (!t) return undefined;
  const parts = t.replace(/\.(?=\S)/g, '. ').split(' ').filter(Boolean);
  const [familyName, givenName, ...rest] = parts;
  if (!familyName || !givenName) return undefined;
  return { familyName, givenName, ...(rest.length > 0 ? { middleName: rest.join(' ') } : {}) };
}
