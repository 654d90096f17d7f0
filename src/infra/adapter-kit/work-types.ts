/**
 * Russian names of kinds of school work → canonical `workType` codes, as every journal
 * writes them. Adapters add their own rows (vendor-only names, or a vendor's different
 * reading of a name) after these; `nameTable` lets a later row win.
 *
 * Known disagreement kept per adapter until the project decides one reading:
 * «Проверочная работа» is control_work (ЭлЖур), independent_work (МЭШ),
 * ext:proverochnaya (Дневник.ру), and unmapped (NetSchool → ext:netschool-type-…).
 */
export const COMMON_WORK_TYPES: readonly (readonly [string, string])[] = [
  ['Ответ на уроке', 'oral_answer'],
  ['Устный ответ', 'oral_answer'],
  ['Работа на уроке', 'classwork'],
  ['Классная работа', 'classwork'],
  ['Домашнее задание', 'homework'],
  ['Самостоятельная работа', 'independent_work'],
  ['Контрольная работа', 'control_work'],
  ['Тест', 'test'],
  ['Тестирование', 'test'],
  ['Диктант', 'dictation'],
  ['Сочинение', 'essay'],
  ['Практическая работа', 'practical_work'],
  ['Лабораторная работа', 'lab_work'],
  ['Проект', 'project'],
  ['Зачёт', 'credit_test'],
  ['Экзамен', 'exam'],
];
