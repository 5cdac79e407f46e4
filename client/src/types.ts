/**
 * The API's request and answer types, all read from the generated OpenAPI types (./generated/),
 * which are made from the gateway's zod schemas: nothing here is written out by hand.
 */
import type { components, operations } from './generated/openapi.ts';
import type { OperationName } from './generated/operations.ts';

export type { OperationName };
type Schemas = components['schemas'];

export type Payment = Schemas['Payment'];
export type Transaction = Schemas['Transaction'];
export type PaymentIntent = Schemas['PaymentIntent'];
export type Event = Schemas['Event'];
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type DeletedWebhookEndpoint = Schemas['DeletedWebhookEndpoint'];
/** The error body every endpoint answers: `{error: {type, code, message, ...}}`. */
export type ErrorBody = Schemas['Error'];
/** The API's error types (`card_error`, `invalid_request_error`, ...). */
export type ErrorType = ErrorBody['error']['type'];
export type EventType = Event['type'];

type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** The JSON body an operation takes, as a caller writes it (zod's input side). */
export type RequestBody<Op extends OperationName> = operations[Op] extends { requestBody: infer R } ? Json<R> : operations[Op] extends { requestBody?: infer R } ? Json<NonNullable<R>> : never;

/** The query parameters an operation takes. */
export type QueryParams<Op extends OperationName> = NonNullable<operations[Op]['parameters']['query']>;

/** The path parameters an operation takes. */
export type PathParams<Op extends OperationName> = NonNullable<operations[Op]['parameters']['path']>;

type Responses<Op extends OperationName> = operations[Op]['responses'];
/** The JSON of an operation's success answer (its 200 or 201). */
export type Answer<Op extends OperationName> = Json<Responses<Op>[Extract<keyof Responses<Op>, 200 | 201>]>;

/** Operations whose answer is a list page. */
export type ListOperation = { [Op in OperationName]: Answer<Op> extends { object: 'list'; data: unknown[] } ? Op : never }[OperationName];
/** An item of a list operation's page. */
export type ListItem<Op extends ListOperation> = Answer<Op> extends { data: Array<infer Item> } ? Item : never;

export type AuthorizePaymentParams = RequestBody<'authorizePayment'>;
export type SalePaymentParams = RequestBody<'salePayment'>;
export type CapturePaymentParams = RequestBody<'capturePayment'>;
export type VoidPaymentParams = RequestBody<'voidPayment'>;
export type RefundPaymentParams = RequestBody<'refundPayment'>;
export type CreatePaymentIntentParams = RequestBody<'createPaymentIntent'>;
export type CreateWebhookEndpointParams = RequestBody<'createWebhookEndpoint'>;
export type ListPaymentsParams = QueryParams<'listPayments'>;
export type ListPaymentIntentsParams = QueryParams<'listPaymentIntents'>;
export type ListTransactionsParams = QueryParams<'listTransactions'>;
export type ListEventsParams = QueryParams<'listEvents'>;
export type ListWebhookDeliveriesParams = QueryParams<'listWebhookDeliveries'>;
