/** Fixed catalogues of the simulated school: work types, bells, subjects and texts. */

export interface SimAssignmentType { id: number; name: string; abbr: string; order: number; weight: number }

export const ASSIGNMENT_TYPES: readonly SimAssignmentType[] = [
  { id: 1, name: 'Ответ на уроке', abbr: 'О', order: 1, weight: 1 },
  { id: 2, name: 'Контрольная работа', abbr: 'К', order: 2, weight: 3 },
  { id: 3, name: 'Домашнее задание', abbr: 'ДЗ', order: 3, weight: 1 },
  { id: 4, name: 'Самостоятельная работа', abbr: 'С', order: 4, weight: 2 },
  { id: 5, name: 'Тестирование', abbr: 'Т', order: 5, weight: 2 },
  { id: 6, name: 'Лабораторная работа', abbr: 'Л', order: 6, weight: 2 },
  { id: 7, name: 'Проект', abbr: 'П', order: 7, weight: 2 },
  { id: 8, name: 'Диктант', abbr: 'Д', order: 8, weight: 2 },
  { id: 9, name: 'Реферат', abbr: 'Р', order: 9, weight: 1 },
  { id: 10, name: 'Сочинение', abbr: 'Ч', order: 10, weight: 2 },
  { id: 11, name: 'Изложение', abbr: 'И', order: 11, weight: 2 },
  { id: 12, name: 'Зачёт', abbr: 'З', order: 12, weight: 2 },
];
export const TYPE = { answer: 1, control: 2, homework: 3, independent: 4, test: 5, lab: 6, dictation: 8, essay: 10 } as const;

export const BELLS: readonly (readonly [string, string])[] = [
  ['08:30', '09:15'], ['09:25', '10:10'], ['10:30', '11:15'], ['11:35', '12:20'], ['12:30', '13:15'], ['13:25', '14:10'],
];

export const SUBJECT_DEFS = [
  { name: 'Русский язык', hours: 5, room: '201', topics: ['Имя существительное', 'Правописание приставок', 'Однородные члены предложения', 'Прямая речь'] },
  { name: 'Литература', hours: 3, room: '201', topics: ['А. С. Пушкин «Сказка о мёртвой царевне»', 'И. С. Тургенев «Муму»', 'Н. А. Некрасов «Крестьянские дети»'] },
  { name: 'Математика', hours: 5, room: '305', topics: ['Обыкновенные дроби', 'Сложение дробей', 'Десятичные дроби', 'Площадь прямоугольника'] },
  { name: 'Английский язык', hours: 3, room: '112', topics: ['Present Simple', 'My family', 'Numbers and dates'] },
  { name: 'История', hours: 2, room: '210', topics: ['Древний Египет', 'Древняя Греция', 'Первобытные люди'] },
  { name: 'Биология', hours: 2, room: '318', topics: ['Строение клетки', 'Царства живой природы', 'Методы изучения природы'] },
  { name: 'География', hours: 2, room: '316', topics: ['План местности', 'Градусная сеть', 'Литосфера'] },
  { name: 'Физическая культура', hours: 3, room: 'Спортзал', topics: ['Лёгкая атлетика', 'Баскетбол', 'Гимнастика'] },
] as const;

export const HOMEWORK_TEXTS = [
  'Упр. {n}, стр. {p}', 'Выучить правило на стр. {p}', '№ {n}, {m} (стр. {p})', 'Читать параграф {m}, ответить на вопросы',
  'Подготовить пересказ, стр. {p}', 'Рабочая тетрадь, стр. {p}', 'Повторить тему «{t}»',
] as const;

export const COMMENTS = [
  'Молодец, отличная работа!', 'Невнимательно, повтори правило', 'Работа не сдана вовремя', 'Есть ошибки в вычислениях',
  'Хороший ответ, но неполный', 'Аккуратнее с оформлением', 'Не готов к уроку',
] as const;

export const DESCRIPTIONS = ['Выполнить письменно в тетради, оформить по образцу.', 'Сдать в начале урока.', 'Повторить конспект урока.'] as const;
