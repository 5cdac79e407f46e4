/**
 * Validation failures in the contract's words: the first problem a schema found, as the error
 * code, parameter and message API.md wants. Only zod's types are used here (no zod at run time),
 * so a handler that validates nothing does not bundle zod for its errors.
 */
import type * as z from 'zod';
import leven from 'leven';
import { redact } from '../logger.ts';

/** Which error code a failed field gets, by its path; anything else is `validation_error`. */
export const CODES_BY_PARAM: Readonly<Record<string, string>> = {
  amount: 'invalid_amount',
  currency: 'unsupported_currency',
  'card.number': 'invalid_card_number',
  'card.exp_month': 'invalid_expiry',
  'card.exp_year': 'invalid_expiry',
  'card.cvv': 'invalid_cvv',
  success_url: 'invalid_url',
  cancel_url: 'invalid_url',
  url: 'invalid_url',
};

export interface FieldProblem {
  code: string;
  param: string;
  message: string;
}

const UNKNOWN_KEY_SHOWN = 40;
const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * The problem to report first, in the contract's words: an unknown parameter before a missing
 * one (a typo'd name is also a missing one, and the typo is what to fix), with the nearest known
 * name; amounts explained as integers in minor units.
 */
export function describeFirstIssue(error: z.core.$ZodError, input: unknown, schema?: z.core.$ZodType): FieldProblem {
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0];
  if (!issue) return { code: 'validation_error', param: '', message: 'The request is invalid.' };
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${issue.path.join('.')}.` : '';
    const key = issue.keys[0] ?? '';
    // The caller's own key name: shown only in part, and never a card number.
    const param = redact(`${prefix}${shorten(key, UNKNOWN_KEY_SHOWN)}`);
    const suggestion = schema ? nearestName(key, knownKeysAt(schema, issue.path)) : undefined;
    return { code: 'validation_error', param, message: `Unknown parameter: ${param}.${suggestion ? ` Did you mean ${prefix}${suggestion}?` : ''}` };
  }
  const param = issue.path.join('.');
  const value = valueAt(input, issue.path);
  const missing = issue.code === 'invalid_type' && value === undefined;
  if (missing) return { code: 'validation_error', param, message: `${param} is required.` };
  const code = CODES_BY_PARAM[param] ?? 'validation_error';
  if (issue.path.at(-1) === 'amount') return { code, param, message: amountMessage(param, issue, value) };
  if (issue.code === 'invalid_type') return { code, param, message: `${param || 'The request'} must be ${article(issue.expected)}, not ${article(jsonType(value))}.` };
  return { code, param, message: `Invalid ${param || 'request'}: ${issue.message}` };
}

const MINOR_UNITS = 'amounts are integers in minor units (9999 for 99.99 USD)';

function amountMessage(param: string, issue: z.core.$ZodIssue, value: unknown): string {
  if (typeof value === 'string') return `${param} must be a JSON number, not a string: ${MINOR_UNITS}.`;
  if (typeof value === 'number' && !Number.isInteger(value)) return `${param} must be an integer: ${MINOR_UNITS}.`;
  if (issue.code === 'too_small') return `${param} must be at least ${String(issue.minimum)}: ${MINOR_UNITS}.`;
  if (issue.code === 'too_big') return `${param} must be at most ${String(issue.maximum)}: ${MINOR_UNITS}.`;
  return `${param} must be a number: ${MINOR_UNITS}.`;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const article = (type: string): string => (type === 'null' ? 'null' : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`);

/** The names an object schema knows at a path of the input (through optional, nullable, default and pipe wrappers). */
function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.core.$ZodType | undefined = schema;
  for (let depth = 0; current && depth <= path.length; ) {
    const def: z.core.$ZodTypeDef & { innerType?: z.core.$ZodType; in?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType> } = current._zod.def;
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else if (def.type === 'object' && def.shape) {
      if (depth === path.length) return Object.keys(def.shape);
      current = def.shape[String(path[depth])];
      depth++;
    } else return [];
  }
  return [];
}

/** Names this close to a known one are typos of it: 1 edit for short names, up to a third of the name for longer ones. */
function nearestName(key: string, known: readonly string[]): string | undefined {
  const loose = (name: string) => name.toLowerCase().replace(/[-_]/g, '');
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = leven(loose(key), loose(name));
    if (distance <= Math.max(1, Math.floor(name.length / 3)) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
