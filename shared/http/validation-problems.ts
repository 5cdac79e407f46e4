/**
 * Validation failures in the contract's words: the first problem a schema found, as the error
 * code, parameter and message API.md wants. Only zod's types are used here (no zod at run time),
 * so a handler that validates nothing does not bundle zod for its errors.
 */
import type * as z from 'zod';
import { redact } from '../logger.ts';

/** Which error code a failed field gets, by its path; anything else is `validation_error`. */
const CODES_BY_PARAM: Record<string, string> = {
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

/** The first problem zod found, in the contract's words. */
export function describeFirstIssue(error: z.core.$ZodError, input: unknown): FieldProblem {
  const issue = error.issues[0];
  if (!issue) return { code: 'validation_error', param: '', message: 'The request is invalid.' };
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${issue.path.join('.')}.` : '';
    // The caller's own key name: shown only in part, and never a card number.
    const param = redact(`${prefix}${shorten(issue.keys[0] ?? '', UNKNOWN_KEY_SHOWN)}`);
    return { code: 'validation_error', param, message: `Unknown parameter: ${param}.` };
  }
  const param = issue.path.join('.');
  const missing = issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined;
  if (missing) return { code: 'validation_error', param, message: `${param} is required.` };
  const code = CODES_BY_PARAM[param] ?? 'validation_error';
  return { code, param, message: `Invalid ${param || 'request'}: ${issue.message}` };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
