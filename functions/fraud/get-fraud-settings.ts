import { fraudSettingsView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.getFraudSettings,
  run: async ({ merchantId, deps }) => deps.store.getFraudThresholds(merchantId),
  present: fraudSettingsView,
});

export const handler = lambdaHandler(endpoint);
