import { Duration } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { keyContextPurpose } from '../../shared/adapters/vault/envelope-vault.ts';
import type { RouteSpec } from '../../shared/routes.ts';
import type { WORKERS } from '../../shared/workers.ts';
import type { StageConfig } from './stage.ts';

type WorkerSpec = (typeof WORKERS)[keyof typeof WORKERS];
/** What a route (`cardAccess`) or a worker (`vault`) may do with the card keys. */
export type CardAccess = NonNullable<RouteSpec['cardAccess']> | Extract<WorkerSpec, { vault: string }>['vault'];

/** The KMS encryption context `purpose` of what the webhook worker opens, as EnvelopeVault names it. */
export const WEBHOOK_SECRET_CONTEXT_PURPOSE = keyContextPurpose('webhook-secret');

/** The KMS actions of each kind of card access (KmsKeyService in shared/adapters/kms calls exactly these). */
export const CARD_ACCESS_ACTIONS: Record<CardAccess, { cardKey: string[]; fingerprintKey: string[] }> = {
  seal: { cardKey: ['kms:GenerateDataKey'], fingerprintKey: ['kms:GenerateMac'] },
  mac: { cardKey: [], fingerprintKey: ['kms:GenerateMac'] },
  // Only under the webhook-secret purpose: see grant().
  open: { cardKey: ['kms:Decrypt'], fingerprintKey: [] },
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
   * What a route's `cardAccess` lets its function do with the keys, and nothing more:
   * - `seal` (tokenize): a fresh data key under the card key (its plaintext encrypts the card or
   *   the webhook secret, its ciphertext is stored beside it) and the MAC of the fingerprint key;
   * - `mac` (client secrets of payment intents): the MAC only;
   * - `open` (the webhook worker, shared/workers.ts): kms:Decrypt on the card key, and only for
   *   data keys whose encryption context names the webhook-secret purpose, so the one function
   *   that may decrypt can open webhook signing secrets but never a card number's data key
   *   (those carry `purpose: paygate:card-number`). No HTTP route decrypts.
   */
  grant(grantee: IGrantable, access: CardAccess): void {
    const { cardKey, fingerprintKey } = CARD_ACCESS_ACTIONS[access];
    if (access === 'open') {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: cardKey,
          resources: [this.cardKey.keyArn],
          conditions: { StringEquals: { 'kms:EncryptionContext:purpose': WEBHOOK_SECRET_CONTEXT_PURPOSE } },
        }),
      );
    } else if (cardKey.length > 0) {
      this.cardKey.grant(grantee, ...cardKey);
    }
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
