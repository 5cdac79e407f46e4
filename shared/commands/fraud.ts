import type { Dependencies } from '../dependencies.ts';
import { errors } from '../domain/errors.ts';
import { blockListValue, validThresholds, type BlockListEntry, type BlockListType, type FraudThresholds } from '../domain/fraud.ts';
import type { BlockListQuery, IdempotentAnswer, Page } from '../ports.ts';
import { positioned, type ListRequest } from './lists.ts';

/** The merchant's thresholds, with a change applied: either threshold may be given alone. */
export async function updateFraudThresholds(
  deps: Dependencies,
  merchantId: string,
  change: Partial<FraudThresholds>,
  idempotency?: IdempotentAnswer,
): Promise<FraudThresholds> {
  const current = await deps.store.getFraudThresholds(merchantId);
  const next: FraudThresholds = { reviewAbove: change.reviewAbove ?? current.reviewAbove, declineAbove: change.declineAbove ?? current.declineAbove };
  if (!validThresholds(next)) {
    // Named after what was sent: a change to one threshold is checked against the other as stored.
    const param = change.reviewAbove === undefined ? 'decline_above' : 'review_above';
    throw errors.validation(`review_above (${next.reviewAbove}) must be below decline_above (${next.declineAbove}).`, param);
  }
  await deps.store.saveFraudThresholds(merchantId, next, idempotency && (await idempotency.partFor(next)));
  return next;
}

/** Puts a value on the merchant's block list; a value already there is a 409 naming its entry. */
export async function blockValue(
  deps: Dependencies,
  merchantId: string,
  input: { type: BlockListType; value: string },
  idempotency?: IdempotentAnswer,
): Promise<BlockListEntry> {
  const entry: BlockListEntry = {
    id: deps.ids.next('blockListEntry'),
    merchantId,
    type: input.type,
    value: blockListValue(input.type, input.value),
    createdAt: deps.clock.now().toISOString(),
  };
  const outcome = await deps.store.addBlockListEntry(entry, idempotency && (await idempotency.partFor(entry)));
  if (!outcome.added) throw errors.invalidState(`This ${input.type} is already on the block list (${outcome.existingId}).`);
  return entry;
}

/** A page of the merchant's block list, newest first; cursors are entry ids. */
export async function listBlockList(deps: Dependencies, merchantId: string, request: ListRequest<BlockListQuery>): Promise<Page<BlockListEntry>> {
  return deps.store.listBlockList(merchantId, await positioned(request, (id) => deps.store.getBlockListEntry(merchantId, id), 'block list entry'));
}

export async function unblockValue(deps: Dependencies, merchantId: string, id: string): Promise<void> {
  if (!(await deps.store.removeBlockListEntry(merchantId, id))) throw errors.notFound('block list entry');
}
