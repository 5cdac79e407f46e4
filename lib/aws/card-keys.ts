import { Duration } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../shared/routes.ts';
import type { WORKERS } from '../../shared/workers.ts';
import type { StageConfig } from './stage.ts';

type WorkerSpec = (typeof WORKERS)[keyof typeof WORKERS];
/** What a route (`cardAccess`) or a worker (`vault`) may do with the card keys. */
export type CardAccess = NonNullable<RouteSpec['cardAccess']> | Extract<WorkerSpec, { vault: string }>['vault'];


/** The KMS actions of each kind of card access (KmsKeyService in shared/adapters/kms calls exactly these). */
export const CARD_ACCESS_ACTIONS: Record<CardAccess, { cardKey: string[]; fingerprintKey: string[] }> = {
  mac: { cardKey: [], fingerprintKey: ['kms:GenerateMac'] },
};

/**
 * The keys of card data, apart from every other key so that only the functions the route table
 * gives `cardAccess`, and the worker shared/workers.ts gives `vault`, can use them
 * (KmsKeyService in shared/adapters/kms):
 * - the card key wraps the data keys that encrypt card numbers (envelope encryption);
 * - the fingerprint key is an HMAC key: GenerateMac derives each merchant's fingerprint secret.
 */
export class CardKeys extends Construct {
  readonly cardKey: Key;
  readonly fingerprintKey: Key;

  constructor(scope: Construct, id: string, props: { stage: StageConfig }) {
    super(scope, id);
    const { stage } = props;
    this.cardKey = new Key(this, 'CardKey', {
      alias: `alias/${stage.prefix}/card`,
      description: `Paygate ${stage.name}: wraps the data keys of card numbers`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(stage.keyPendingWindowDays),
      removalPolicy: stage.removalPolicy,
    });
    this.fingerprintKey = new Key(this, 'FingerprintKey', {
      alias: `alias/${stage.prefix}/card-fingerprint`,
      description: `Paygate ${stage.name}: HMAC key deriving the per-merchant card fingerprint secrets`,
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      // KMS cannot rotate HMAC keys, and a rotated fingerprint secret would change every fingerprint.
      enableKeyRotation: false,
      pendingWindow: Duration.days(stage.keyPendingWindowDays),
      removalPolicy: stage.removalPolicy,
    });
  }

  /**
   * What a route's `cardAccess` lets its function do with the keys, and nothing more: `mac`
   * (fingerprints, client secrets of payment intents, webhook signing secrets, including the
   * webhook worker's) is the MAC only. No function may seal or decrypt today: no card number is
   * kept, and every other secret is derived.
   */
  grant(grantee: IGrantable, access: CardAccess): void {
    const { cardKey, fingerprintKey } = CARD_ACCESS_ACTIONS[access];
    if (cardKey.length > 0) this.cardKey.grant(grantee, ...cardKey);
    if (fingerprintKey.length > 0) this.fingerprintKey.grant(grantee, ...fingerprintKey);
  }

  /**
   * The environment that tells KmsKeyService which keys to use: exactly the keys the access uses
   * (a `mac` function gets the fingerprint key only; the webhook worker the card key only).
   */
  environment(access: CardAccess): Record<string, string> {
    const environment: Record<string, string> = {};
    if (CARD_ACCESS_ACTIONS[access].cardKey.length > 0) environment['PAYGATE_CARD_KEY_ID'] = this.cardKey.keyArn;
    if (CARD_ACCESS_ACTIONS[access].fingerprintKey.length > 0) environment['PAYGATE_FINGERPRINT_KEY_ID'] = this.fingerprintKey.keyArn;
    return environment;
  }
}
