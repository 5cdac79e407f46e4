import { confirmIntent } from '../../shared/commands/intents.ts';
import { publicIntentView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { ConfirmPaymentIntentBody, PaymentIntentIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.confirmPaymentIntent,
  body: ConfirmPaymentIntentBody,
  params: PaymentIntentIdParams,
  run: async ({ body, params, clientSecret, clientIp, deps }) => {
    const { intent, payment, redirectUrl } = await confirmIntent(deps, params.id, {
      clientSecret,
      // The shopper's own IP: what the fraud counters count per IP.
      clientIp,
      card: body.card,
      customerEmail: body.customer_email ?? null,
    });
    const merchant = await deps.store.getMerchant(intent.merchantId);
    return {
      ...publicIntentView(intent, deps.clock.now(), merchant?.name ?? ''),
      status: 'succeeded',
      payment_id: payment.id,
      redirect_url: redirectUrl,
    };
  },
});

export const handler = lambdaHandler(endpoint);
