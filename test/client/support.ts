/** What the client's gateway tests share: a fetch that checks every answer against the OpenAPI document. */
import type { FetchLike } from '../../client/src/index.ts';
import { expectDocumentedAnswer } from '../support/contract.ts';
import { EXP_YEAR } from '../e2e/helpers.ts';

/** The global fetch, each answer checked against the document as the e2e suite's client does. */
export const contractFetch: FetchLike = async (url, init) => {
  const response = await fetch(url, init);
  await expectDocumentedAnswer(init.method, url, response.status, response.headers, await response.clone().text());
  return response;
};

export const testCard = (number = '4242424242424242') => ({ number, exp_month: 12, exp_year: EXP_YEAR, cvv: '123' });
