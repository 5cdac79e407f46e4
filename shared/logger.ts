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

const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // 12-19 digits, possibly separated by spaces or dashes: anything that could be a card number.
  [/\b(?:\d[ -]?){11,18}\d\b/g, '[REDACTED_NUMBER]'],
  [/\bsk_(?:test|live)_[0-9A-Za-z]+/g, 'sk_[REDACTED]'],
  [/\bwhsec_[0-9A-Za-z+/=]+/g, 'whsec_[REDACTED]'],
  [/_secret_[0-9A-Za-z]+/g, '_secret_[REDACTED]'],
];

export function redact(text: string): string {
  return SECRET_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, depth + 1)]));
}

export function jsonLogger(write: (line: string) => void, minLevel: LogLevel = 'info'): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  return {
    log(level, message, fields = {}) {
      if (order.indexOf(level) < order.indexOf(minLevel)) return;
      const entry = redactValue({ level, time: new Date().toISOString(), message, ...fields });
      write(JSON.stringify(entry));
    },
  };
}

export function consoleLogger(minLevel: LogLevel = 'info'): Logger {
  return jsonLogger((line) => process.stdout.write(`${line}\n`), minLevel);
}
