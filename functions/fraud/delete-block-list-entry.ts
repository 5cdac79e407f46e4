import { unblockValue } from '../../shared/commands/fraud.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { BlockListEntryIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.deleteBlockListEntry,
  params: BlockListEntryIdParams,
  run: async ({ params, merchantId, deps }) => {
    await unblockValue(deps, merchantId, params.id);
    return { id: params.id, object: 'block_list_entry', deleted: true };
  },
});

export const handler = lambdaHandler(endpoint);
