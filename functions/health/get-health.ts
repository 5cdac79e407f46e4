import { errors } from '../../shared/domain/errors.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

/** A store that has not answered by then is as good as down for a health check. */
const STORE_PROBE_TIMEOUT_MS = 2_000;

/** `ok` only when the store answers: a supervisor or load balancer can trust a 200. */
export const endpoint = defineEndpoint({
  route: ROUTES.health,
  run: async ({ deps }) => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('store probe timed out')), STORE_PROBE_TIMEOUT_MS);
    });
    try {
      await Promise.race([deps.store.ping(), timedOut]);
    } catch (error) {
      deps.logger.log('error', 'health: the store did not answer', { error_name: error instanceof Error ? error.name : typeof error });
      throw errors.serviceUnavailable();
    } finally {
      clearTimeout(timer);
    }
    return { status: 'ok' };
  },
});

export const handler = lambdaHandler(endpoint);
