import { updateFraudThresholds } from '../../shared/commands/fraud.ts';
import { fraudSettingsView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { UpdateFraudSettingsBody } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.updateFraudSettings,
  body: UpdateFraudSettingsBody,
  run: ({ body, merchantId, deps, idempotency }) =>
    updateFraudThresholds(
      deps,
      merchantId,
      { ...(body.review_above === undefined ? {} : { reviewAbove: body.review_above }), ...(body.decline_above === undefined ? {} : { declineAbove: body.decline_above }) },
      idempotency,
    ),
  present: fraudSettingsView,
});

export const handler = lambdaHandler(endpoint);
