import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';
import { newPaymentEndpoint } from './new-payment-endpoint.ts';

export const endpoint = newPaymentEndpoint(ROUTES.authorizePayment, { capture: false });

export const handler = lambdaHandler(endpoint);
