import { createPayment } from '../../shared/commands/payments.ts';
import { paymentView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { NewPaymentBody } from '../../shared/http/schemas.ts';
import type { RouteSpec } from '../../shared/routes.ts';

/** Authorize and sale: the same request, a new payment, captured at once or held. */
export function newPaymentEndpoint(route: RouteSpec, options: { capture: boolean }) {
  return defineEndpoint({
    route,
    body: NewPaymentBody,
    successStatus: 201,
    run: ({ body, merchantId, deps, idempotency }) =>
      createPayment(deps, merchantId, {
        amount: body.amount,
        currency: body.currency,
        card: body.card,
        customer: body.customer ? { email: body.customer.email, name: body.customer.name, phone: body.customer.phone } : null,
        clientIp: body.customer?.ip ?? null,
        description: body.description ?? null,
        metadata: body.metadata ?? {},
        capture: options.capture,
      }, idempotency),
    present: paymentView,
  });
}
