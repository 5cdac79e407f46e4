/**
 * The error codes of the API, each with the answer it gives, for the OpenAPI document: one example
 * per factory of the domain's error family (shared/domain/errors.ts), made by calling it as the
 * code does. The record is typed over every factory, so a new kind of error cannot go missing
 * from the document.
 */
import { ApiError, errors, type ErrorType } from '../../shared/domain/errors.ts';
import { exampleId } from './answers.ts';

const EXAMPLES = {
  invalidJson: errors.invalidJson(),
  validation: errors.validation('Unknown parameter: amout.', 'amout'),
  invalidAmount: errors.invalidAmount('Invalid amount: amounts are integers in minor units (9999 for 99.99 USD).'),
  unsupportedCurrency: errors.unsupportedCurrency(),
  invalidCardNumber: errors.invalidCardNumber(),
  invalidExpiry: errors.invalidExpiry(),
  invalidCvv: errors.invalidCvv(),
  invalidUrl: errors.invalidUrl('success_url'),
  alreadyCaptured: errors.alreadyCaptured(),
  alreadyVoided: errors.alreadyVoided(),
  alreadyRefunded: errors.alreadyRefunded(),
  amountTooHigh: errors.amountTooHigh('The capture amount may be at most 9999.'),
  authorizationExpired: errors.authorizationExpired(),
  notCaptured: errors.notCaptured(),
  alreadyCompleted: errors.alreadyCompleted(),
  invalidState: errors.invalidState('A payment in status voided cannot be captured.'),
  busy: errors.busy('This payment intent is already being confirmed.'),
  missingApiKey: errors.missingApiKey(),
  invalidApiKey: errors.invalidApiKey(),
  invalidClientSecret: errors.invalidClientSecret(),
  cardDeclined: errors.cardDeclined('insufficient_funds', exampleId('payment')),
  fraudDeclined: errors.fraudDeclined(exampleId('payment')),
  intentExpired: errors.intentExpired(),
  maxAttemptsExceeded: errors.maxAttemptsExceeded(),
  testModeOnly: errors.testModeOnly(),
  notFound: errors.notFound('payment'),
  routeNotFound: errors.routeNotFound('GET', '/api/v1/payment', { method: 'GET', path: '/api/v1/payments' }),
  methodNotAllowed: errors.methodNotAllowed('DELETE', '/api/v1/payments/{id}', ['GET']),
  unsupportedMediaType: errors.unsupportedMediaType(),
  idempotencyKeyMismatch: errors.idempotencyKeyMismatch(),
  idempotencyKeyInUse: errors.idempotencyKeyInUse(),
  rateLimited: errors.rateLimited(1),
  payloadTooLarge: errors.payloadTooLarge(),
  internal: errors.internal(),
  serviceUnavailable: errors.serviceUnavailable(),
} satisfies Record<keyof typeof errors, ApiError>;

/** The gateway a `doc_url` of an example points into (each gateway answers with its own public URL). */
const EXAMPLE_PUBLIC_URL = 'https://paygate.example';

export interface ErrorCodeEntry {
  status: number;
  type: ErrorType;
  /** The answer's body, as the gateway sends it. */
  example: ReturnType<ApiError['toBody']>;
}

/** Every error code, with its status, type and an example answer (of a code made by two factories, the first: `invalidState`, not `busy`). */
export const ERROR_CODES: ReadonlyMap<string, ErrorCodeEntry> = (() => {
  const codes = new Map<string, ErrorCodeEntry>();
  for (const error of Object.values(EXAMPLES)) {
    if (!codes.has(error.code)) codes.set(error.code, { status: error.status, type: error.type, example: error.toBody(exampleId('request'), EXAMPLE_PUBLIC_URL) });
  }
  return codes;
})();
