/** The API's resources: each method is one operation of the generated table, typed by its schemas. */
import { PageList } from './pagination.ts';
import type { RequestOptions, Transport } from './transport.ts';
import type { Answer, OperationName, QueryParams, RequestBody } from './types.ts';

abstract class Resource {
  protected readonly transport: Transport;
  constructor(transport: Transport) {
    this.transport = transport;
  }
  protected call<Op extends OperationName>(name: Op, call: { path?: Record<string, string>; query?: object; body?: unknown }, options?: RequestOptions): Promise<Answer<Op>> {
    return this.transport.request<Answer<Op>>(name, call as { path?: Record<string, string>; query?: Record<string, unknown>; body?: unknown }, options);
  }
}

export class Payments extends Resource {
  /** Authorizes a card: the payment is `authorized`; a decline throws CardError (with its `payment_id`). */
  authorize(params: RequestBody<'authorizePayment'>, options?: RequestOptions) {
    return this.call('authorizePayment', { body: params }, options);
  }
  /** Authorizes and captures at once: `captured`. */
  sale(params: RequestBody<'salePayment'>, options?: RequestOptions) {
    return this.call('salePayment', { body: params }, options);
  }
  /** Captures an authorization, all of it or `amount` (once). */
  capture(id: string, params: RequestBody<'capturePayment'> = {}, options?: RequestOptions) {
    return this.call('capturePayment', { path: { id }, body: params }, options);
  }
  void(id: string, params: RequestBody<'voidPayment'> = {}, options?: RequestOptions) {
    return this.call('voidPayment', { path: { id }, body: params }, options);
  }
  /** Refunds all that is not refunded yet, or `amount`. */
  refund(id: string, params: RequestBody<'refundPayment'> = {}, options?: RequestOptions) {
    return this.call('refundPayment', { path: { id }, body: params }, options);
  }
  retrieve(id: string, options?: RequestOptions) {
    return this.call('getPayment', { path: { id } }, options);
  }
  /** Newest first, by its filters; iterate it with `for await` to read every page, or await it for the first. */
  list(params: QueryParams<'listPayments'> = {}, options: RequestOptions = {}) {
    return new PageList(this.transport, 'listPayments', params, options);
  }
}

export class PaymentIntents extends Resource {
  create(params: RequestBody<'createPaymentIntent'>, options?: RequestOptions) {
    return this.call('createPaymentIntent', { body: params }, options);
  }
  retrieve(id: string, options?: RequestOptions) {
    return this.call('getPaymentIntent', { path: { id } }, options);
  }
  cancel(id: string, options?: RequestOptions) {
    return this.call('cancelPaymentIntent', { path: { id }, body: {} }, options);
  }
  list(params: QueryParams<'listPaymentIntents'> = {}, options: RequestOptions = {}) {
    return new PageList(this.transport, 'listPaymentIntents', params, options);
  }
}

export class Transactions extends Resource {
  retrieve(id: string, options?: RequestOptions) {
    return this.call('getTransaction', { path: { id } }, options);
  }
  /** Newest first; iterate it with `for await` to read every page, or await it for the first. */
  list(params: QueryParams<'listTransactions'> = {}, options: RequestOptions = {}) {
    return new PageList(this.transport, 'listTransactions', params, options);
  }
}

export class WebhookEndpoints extends Resource {
  /** The answer carries the signing `secret`: it is shown only here. */
  create(params: RequestBody<'createWebhookEndpoint'>, options?: RequestOptions) {
    return this.call('createWebhookEndpoint', { body: params }, options);
  }
  /** A merchant's endpoints are few: one page, never paged. */
  list(options?: RequestOptions) {
    return this.call('listWebhookEndpoints', {}, options);
  }
  del(id: string, options?: RequestOptions) {
    return this.call('deleteWebhookEndpoint', { path: { id } }, options);
  }
  /** A new secret (shown once); the old one still signs for 24 hours. */
  rotateSecret(id: string, options?: RequestOptions) {
    return this.call('rotateWebhookSecret', { path: { id }, body: {} }, options);
  }
}

export class WebhookDeliveries extends Resource {
  list(params: QueryParams<'listWebhookDeliveries'> = {}, options: RequestOptions = {}) {
    return new PageList(this.transport, 'listWebhookDeliveries', params, options);
  }
  /** A new attempt now (a failed or expired delivery; in test mode a pending one too). */
  retry(id: string, options?: RequestOptions) {
    return this.call('retryWebhookDelivery', { path: { id }, body: {} }, options);
  }
}

export class Events extends Resource {
  retrieve(id: string, options?: RequestOptions) {
    return this.call('getEvent', { path: { id } }, options);
  }
  list(params: QueryParams<'listEvents'> = {}, options: RequestOptions = {}) {
    return new PageList(this.transport, 'listEvents', params, options);
  }
}

/** Test mode only (a live key gets 403 `test_mode_only`): make time pass for one object. */
export class TestHelpers extends Resource {
  /** The authorization expires now, as the 7-day job would expire it. */
  expirePayment(id: string, options?: RequestOptions) {
    return this.call('expirePaymentNow', { path: { id }, body: {} }, options);
  }
  /** The intent expires now. */
  expirePaymentIntent(id: string, options?: RequestOptions) {
    return this.call('expirePaymentIntentNow', { path: { id }, body: {} }, options);
  }
}

/** The merchant's fraud thresholds and block list. */
export class Fraud extends Resource {
  /** The thresholds a payment's score is decided at. */
  retrieveSettings(options?: RequestOptions) {
    return this.call('getFraudSettings', {}, options);
  }
  updateSettings(params: RequestBody<'updateFraudSettings'>, options?: RequestOptions) {
    return this.call('updateFraudSettings', { body: params }, options);
  }
  /** Newest first; iterate it with `for await` to read every page, or await it for the first. */
  listBlockList(params: QueryParams<'listBlockList'> = {}, options: RequestOptions = {}) {
    return new PageList(this.transport, 'listBlockList', params, options);
  }
  /** Blocks a card fingerprint, an email or an IP address. */
  block(params: RequestBody<'createBlockListEntry'>, options?: RequestOptions) {
    return this.call('createBlockListEntry', { body: params }, options);
  }
  unblock(id: string, options?: RequestOptions) {
    return this.call('deleteBlockListEntry', { path: { id } }, options);
  }
}
