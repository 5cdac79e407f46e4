import { redactDigitRuns } from './domain/cards.ts';

/**
 * Structured JSON logs, one object per line. Every string that goes out passes through
 * `redact`, so a card number that slipped into a message (an SDK error echoing input, say)
 * is masked before it is written.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

/** Secrets with a prefix first (their digits are theirs), then anything that could be a card number. */
/** Secrets by their prefix, wherever they start (`xsk_test_...` hides no key). */
const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/sk_(?:test|live)_[0-9A-Za-z]+/g, 'sk_[REDACTED]'],
  [/whsec_[0-9A-Za-z+/=]+/g, 'whsec_[REDACTED]'],
  [/_secret_[0-9A-Za-z]+/g, '_secret_[REDACTED]'],
];

/** Secrets first (their digits are theirs), then every run of 12 or more digits (the card-number detector's runs). */
export function redact(text: string): string {
  const withoutSecrets = SECRET_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
  return redactDigitRuns(withoutSecrets, '[REDACTED_NUMBER]');
}

const MAX_DEPTH = 6;

/** Redacts every string, key included; what is too deep to walk is dropped, never written unread. */
function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[TRUNCATED]';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return { name: value.name, message: redact(value.message) };
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactValue(v, depth + 1)]));
}

export function jsonLogger(write: (line: string) => void, minLevel: LogLevel = 'info'): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  return {
    log(level, message, fields = {}) {
      if (order.indexOf(level) < order.indexOf(minLevel)) return;
      // The entry's own fields come last, so a field named `level` or `message` cannot overwrite them.
      const entry = redactValue({ ...fields, level, time: new Date().toISOString(), message });
      write(JSON.stringify(entry));
    },
  };
}

export function consoleLogger(minLevel: LogLevel = 'info'): Logger {
  return jsonLogger((line) => process.stdout.write(`${line}\n`), minLevel);
}
