import type { ErrorCode } from '../../src/core/error-codes';
import { GatewayError } from '../../src/core/errors';

/**
 * Declarative tables of the file source: filesystem errors (of the inbox, archive and failed
 * folders) and the reasons a whole file is refused. First match wins; one fallback each.
 */

interface FsRule { errno: readonly string[]; code: ErrorCode; why: string }

/** errno of a failed filesystem call → ErrorCode. */
export const FS_ERROR_TABLE: readonly FsRule[] = [
  { errno: ['ENOENT', 'ENOTDIR'], code: 'GW_SRC_NOT_FOUND', why: 'does not exist or is not a folder' },
  { errno: ['EACCES', 'EPERM', 'EROFS'], code: 'GW_SRC_AUTH_FAILED', why: 'is not readable and writable by the gateway\'s OS user' },
  {
    errno: ['EIO', 'EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE', 'ETIMEDOUT', 'ESTALE', 'ENOSPC', 'ECONNRESET', 'EHOSTDOWN', 'ENETDOWN', 'ENETUNREACH'],
    code: 'GW_SRC_UNAVAILABLE', why: 'is temporarily unavailable (I/O error, busy, network share down or disk full)',
  },
];

/** An errno no row names: a filesystem may come back, so retry rather than stop the adapter. */
export const FS_FALLBACK: ErrorCode = 'GW_SRC_UNAVAILABLE';

export function classifyFsError(errno: string | undefined): { code: ErrorCode; why: string } {
  const rule = errno ? FS_ERROR_TABLE.find((r) => r.errno.includes(errno)) : undefined;
  return rule ? { code: rule.code, why: rule.why } : { code: FS_FALLBACK, why: 'could not be accessed' };
}

/** A GatewayError for a failed filesystem call on `what` (a folder or file of school `schoolId`). */
export function fsError(e: unknown, schoolId: string, what: string): GatewayError {
  if (e instanceof GatewayError) return e;
  const errno = typeof e === 'object' && e !== null ? (e as NodeJS.ErrnoException).code : undefined;
  const { code, why } = classifyFsError(errno);
  return new GatewayError(code, `school ${schoolId}: ${what} ${why}${errno ? ` (${errno})` : ''}`, { cause: e, context: { errno } });
}

/** Why a whole file was refused (it goes to the failed folder with `<name>.error.txt`). */
export type FileRejection =
  | 'too-large' | 'empty' | 'format-unknown' | 'format-disabled' | 'format-mismatch' | 'entity-unknown'
  | 'encoding-invalid' | 'encoding-unsupported' | 'binary'
  | 'csv-header' | 'csv-record-too-long'
  | 'xml-entity-declaration' | 'xml-malformed' | 'xml-root' | 'xml-school-mismatch' | 'xml-too-deep' | 'xml-too-long';

interface RejectionRule { code: ErrorCode; ru: string; remedyRu: string }

const FIX_EXPORT = 'Исправьте выгрузку и загрузите файл заново (описание формата: adapters/file-source/layout.md).';

/** Reason → code, and the Russian text written into `<name>.error.txt` for the school. */
export const FILE_REJECTIONS: Readonly<Record<FileRejection, RejectionRule>> = {
  'too-large': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Файл больше допустимого размера.', remedyRu: 'Разбейте выгрузку на несколько файлов или попросите администратора увеличить maxFileBytes.' },
  'empty': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Файл пустой.', remedyRu: FIX_EXPORT },
  'format-unknown': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Формат файла не поддерживается: принимаются только .csv и .xml.', remedyRu: 'Сохраните выгрузку в CSV или XML.' },
  'format-disabled': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Этот формат отключён в настройках источника.', remedyRu: 'Загрузите файл в разрешённом формате или попросите администратора включить формат.' },
  'format-mismatch': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Содержимое файла не соответствует его расширению (например, HTML-страница вместо CSV).', remedyRu: FIX_EXPORT },
  'entity-unknown': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Имя CSV-файла должно начинаться с типа данных (например, marks, attendance_events, persons).', remedyRu: 'Переименуйте файл по образцу marks_2025-10.csv.' },
  'encoding-invalid': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Файл не в кодировке UTF-8 или windows-1251 (или повреждён).', remedyRu: 'Сохраните файл в UTF-8 или windows-1251.' },
  'encoding-unsupported': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Кодировка файла не поддерживается (принимаются UTF-8 и windows-1251).', remedyRu: 'Сохраните файл в UTF-8 или windows-1251.' },
  'binary': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Файл двоичный (например, Excel или архив) или в кодировке UTF-16.', remedyRu: 'Сохраните выгрузку как CSV (UTF-8 или windows-1251) или XML.' },
  'csv-header': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Первая строка CSV должна содержать названия полей канонического формата.', remedyRu: FIX_EXPORT },
  'csv-record-too-long': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Слишком длинная строка CSV (возможно, не закрыта кавычка).', remedyRu: FIX_EXPORT },
  'xml-entity-declaration': { code: 'GW_RECORD_UNMAPPABLE', ru: 'XML содержит объявления сущностей (DOCTYPE с ENTITY); такие файлы не принимаются из соображений безопасности.', remedyRu: 'Выгрузите XML без DOCTYPE.' },
  'xml-malformed': { code: 'GW_RECORD_UNMAPPABLE', ru: 'XML-файл повреждён или составлен с ошибкой.', remedyRu: FIX_EXPORT },
  'xml-root': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Корневой элемент XML должен быть <diaryExport xmlns="urn:diary-gateway:intake:v1">.', remedyRu: FIX_EXPORT },
  'xml-school-mismatch': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Выгрузка относится к другой школе.', remedyRu: 'Проверьте, что файл загружен в папку своей школы.' },
  'xml-too-deep': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Слишком глубокая вложенность элементов XML.', remedyRu: FIX_EXPORT },
  'xml-too-long': { code: 'GW_RECORD_UNMAPPABLE', ru: 'Слишком длинный элемент или заголовок XML.', remedyRu: FIX_EXPORT },
};

/** Thrown by the format readers when a whole file must be refused. `detail` never quotes data. */
export class FileRejected extends Error {
  constructor(readonly reason: FileRejection, readonly detail: string) {
    super(detail);
    this.name = 'FileRejected';
  }
}

export function reject(reason: FileRejection, detail: string): FileRejected {
  return new FileRejected(reason, detail);
}

/** The GatewayError quarantined for a refused file (the file name is the record's source id). */
export function rejectionError(r: FileRejected, schoolId: string, file: string): GatewayError {
  return new GatewayError(FILE_REJECTIONS[r.reason].code, `file ${file} refused (${r.reason}): ${r.detail}`, {
    issues: [{ path: '/file', message: r.detail }],
    context: { schoolId, reason: r.reason },
  });
}

/** Thrown when a file changed while it was read: retryable, the file stays and is read again. */
export function fileChanged(schoolId: string, file: string): GatewayError {
  return new GatewayError('GW_SRC_UNAVAILABLE', `school ${schoolId}: file ${file} changed while it was read (still being copied?); it is read again on the next run`);
}
