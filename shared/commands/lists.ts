/** What every list command shares: a cursor names an object of the list, which says where the page starts. */
import { errors } from '../domain/errors.ts';
import type { ListPosition, ListQuery } from '../ports.ts';

/** A list query as the API takes it: its cursors as the ids of objects of the list. */
export type ListRequest<Q extends ListQuery> = Omit<Q, 'startingAfter' | 'endingBefore'> & {
  startingAfter?: string | undefined;
  endingBefore?: string | undefined;
};

/**
 * The query with its cursors turned into positions: the object each names, read by `find` (the
 * merchant's own: another's, or none, is a 400 naming the parameter, not an empty page).
 */
export async function positioned<Q extends ListQuery>(request: ListRequest<Q>, find: (id: string) => Promise<ListPosition | null>, noun: string): Promise<Q> {
  const { startingAfter, endingBefore, ...rest } = request;
  const positionOf = async (id: string | undefined, param: string): Promise<ListPosition | undefined> => {
    if (id === undefined) return undefined;
    const found = await find(id);
    if (!found) throw errors.validation(`No such ${noun} to page from: ${id}.`, param);
    return { createdAt: found.createdAt, id: found.id };
  };
  return { ...rest, startingAfter: await positionOf(startingAfter, 'starting_after'), endingBefore: await positionOf(endingBefore, 'ending_before') } as Q;
}
