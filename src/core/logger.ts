/** The logger contract adapters and the pipeline see (winston satisfies it; tests may pass a recorder). */
export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  /** A logger that adds these fields (runId, schoolId, adapter, stream, deliveryId) to every line. */
  child(fields: Record<string, unknown>): Logger;
}

export const nullLogger: Logger = {
  error() {}, warn() {}, info() {}, debug() {},
  child() { return nullLogger; },
};
