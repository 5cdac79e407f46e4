import { blockValue } from '../../shared/commands/fraud.ts';
import { blockListEntryView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { CreateBlockListEntryBody } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.createBlockListEntry,
  body: CreateBlockListEntryBody,
  successStatus: 201,
  run: ({ body, merchantId, deps, idempotency }) => blockValue(deps, merchantId, body, idempotency),
  present: blockListEntryView,
});

export const handler = lambdaHandler(endpoint);
