/**
 * Auto-pagination: `for await (const t of paygate.transactions.list({status}))` reads page after
 * page, following `has_more` with `starting_after=<last id>` where the list takes cursors (API.md,
 * "Lists"), else with `offset`. Awaiting the list itself answers its first page.
 */
import { OPERATIONS } from './generated/operations.ts';
import type { RequestOptions, Transport } from './transport.ts';
import type { Answer, ListItem, ListOperation } from './types.ts';

/** At most this many items by `toArray()`, unless told: a list is read whole only on purpose. */
const DEFAULT_TO_ARRAY_LIMIT = 10_000;

export class PageList<Op extends ListOperation> implements AsyncIterable<ListItem<Op>>, PromiseLike<Answer<Op>> {
  readonly #transport: Transport;
  readonly #operation: Op;
  readonly #query: Record<string, unknown>;
  readonly #options: RequestOptions;
  #first: Promise<Answer<Op>> | undefined;

  constructor(transport: Transport, operation: Op, query: object, options: RequestOptions) {
    this.#transport = transport;
    this.#operation = operation;
    this.#query = { ...query };
    this.#options = options;
  }

  #page(query: Record<string, unknown>): Promise<Answer<Op>> {
    return this.#transport.request<Answer<Op>>(this.#operation, { query }, this.#options);
  }

  /** The first page, as the API answers it. */
  firstPage(): Promise<Answer<Op>> {
    return (this.#first ??= this.#page(this.#query));
  }

  then<A = Answer<Op>, B = never>(onFulfilled?: ((page: Answer<Op>) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.firstPage().then(onFulfilled, onRejected);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ListItem<Op>> {
    const byCursor = OPERATIONS[this.#operation].cursor;
    let query = this.#query;
    let page = await this.firstPage();
    for (;;) {
      const items = (page as { data: Array<ListItem<Op>> }).data;
      yield* items;
      if (!(page as { has_more: boolean }).has_more || items.length === 0) return;
      const last = items[items.length - 1] as { id: string };
      query = byCursor ? { ...query, starting_after: last.id } : { ...query, offset: Number(query['offset'] ?? 0) + items.length };
      page = await this.#page(query);
    }
  }

  /** Every item of the list, page after page, up to `limit` (default 10,000). */
  async toArray({ limit = DEFAULT_TO_ARRAY_LIMIT }: { limit?: number } = {}): Promise<Array<ListItem<Op>>> {
    const items: Array<ListItem<Op>> = [];
    if (limit <= 0) return items;
    for await (const item of this) {
      items.push(item);
      if (items.length >= limit) break;
    }
    return items;
  }
}
