import { Duration } from 'aws-cdk-lib';
import { AccountRootPrincipal, Effect, PolicyDocument, PolicyStatement, StarPrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
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
 * What the account (its key administrators) may do with a card key: manage it, never use it. No
 * `kms:*`, no `kms:CreateGrant` (a grant to oneself would be use), so an IAM policy that allows
 * `kms:Decrypt` on `*` (AdministratorAccess, PowerUser...) opens nothing: KMS lets a principal use
 * a key only if the key policy itself allows it, and these key policies name the functions.
 */
export const KEY_ADMINISTRATION_ACTIONS = [
  'kms:CreateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];

/** A key policy that lets the account administer the key and nobody use it (use is added per function, by name). */
function administrationOnly(): PolicyDocument {
  return new PolicyDocument({
    statements: [
      new PolicyStatement({ sid: 'KeyAdministrationWithoutUse', principals: [new AccountRootPrincipal()], actions: KEY_ADMINISTRATION_ACTIONS, resources: ['*'] }),
    ],
  });
}

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
      // No function seals or opens a card today: nobody may decrypt with it, whatever IAM says.
      policy: administrationOnly(),
      alias: `alias/${stage.prefix}/card`,
      description: `Paygate ${stage.name}: wraps the data keys of card numbers`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(stage.keyPendingWindowDays),
      removalPolicy: stage.removalPolicy,
    });
    // And should an edit of the policy ever allow more, Decrypt stays refused to every principal
    // (Paygate.js tokens, which pay later, will narrow this to the functions that charge them).
    this.cardKey.addToResourcePolicy(
      new PolicyStatement({ sid: 'NoDecryptForAnyone', effect: Effect.DENY, principals: [new StarPrincipal()], actions: ['kms:Decrypt'], resources: ['*'] }),
    );
    this.fingerprintKey = new Key(this, 'FingerprintKey', {
      // GenerateMac for the functions `grant` names, and nobody else.
      policy: administrationOnly(),
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
  grant(grantee: IRole, access: CardAccess): void {
    const { cardKey, fingerprintKey } = CARD_ACCESS_ACTIONS[access];
    for (const [key, actions] of [[this.cardKey, cardKey], [this.fingerprintKey, fingerprintKey]] as const) {
      if (actions.length === 0) continue;
      // In the role's policy (what the role may do) and in the key's (what the key lets it do:
      // the key policy trusts no IAM policy by itself).
      key.grant(grantee, ...actions);
      key.addToResourcePolicy(new PolicyStatement({ principals: [grantee.grantPrincipal], actions: [...actions], resources: ['*'] }));
    }
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
