import { Duration } from 'aws-cdk-lib';
import { AccountRootPrincipal, Effect, PolicyDocument, PolicyStatement, StarPrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { macKeyVariable } from '../../shared/adapters/kms/kms-key-service.ts';
import { MAC_PURPOSES, type MacPurpose } from '../../shared/ports.ts';
import type { StageConfig } from './stage.ts';

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

/** Each MAC purpose's key: its construct id (CloudFormation's logical id), alias and what it derives. */
const MAC_KEYS: Record<MacPurpose, { id: string; alias: string; derives: string }> = {
  // The id of the one HMAC key there was before each purpose had its own: fingerprints stay stable.
  'card-fingerprint': { id: 'FingerprintKey', alias: 'card-fingerprint', derives: 'the per-merchant card fingerprint secrets' },
  'request-hash': { id: 'RequestHashKey', alias: 'mac-request-hash', derives: 'the keys that hash card data into idempotency request hashes' },
  'client-secret': { id: 'ClientSecretKey', alias: 'mac-client-secret', derives: 'the client secrets of payment intents' },
  'webhook-secret': { id: 'WebhookSecretKey', alias: 'mac-webhook-secret', derives: 'the webhook signing secrets' },
};

/**
 * The keys of card data and of derived secrets, apart from every other key so that only the
 * functions the route table (`macs`) and shared/workers.ts name can use them (KmsKeyService in
 * shared/adapters/kms):
 * - the card key wraps the data keys that encrypt card numbers (envelope encryption);
 * - one HMAC key per MAC purpose: GenerateMac derives each merchant's secret of that purpose, so
 *   a function that derives client secrets (public, unauthenticated routes among them) cannot
 *   derive webhook signing secrets or card fingerprints.
 */
export class CardKeys extends Construct {
  readonly cardKey: Key;
  readonly macKeys: Readonly<Record<MacPurpose, Key>>;

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
    const macKeys = {} as Record<MacPurpose, Key>;
    for (const purpose of MAC_PURPOSES) {
      const spec = MAC_KEYS[purpose];
      macKeys[purpose] = new Key(this, spec.id, {
        // GenerateMac for the functions `grant` names, and nobody else.
        policy: administrationOnly(),
        alias: `alias/${stage.prefix}/${spec.alias}`,
        description: `Paygate ${stage.name}: HMAC key deriving ${spec.derives}`,
        keySpec: KeySpec.HMAC_256,
        keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
        // KMS cannot rotate HMAC keys, and a new key would change every secret derived from it.
        enableKeyRotation: false,
        pendingWindow: Duration.days(stage.keyPendingWindowDays),
        removalPolicy: stage.removalPolicy,
      });
    }
    this.macKeys = macKeys;
  }

  /** The card fingerprints' HMAC key. */
  get fingerprintKey(): Key {
    return this.macKeys['card-fingerprint'];
  }

  /**
   * GenerateMac (HMAC-SHA-256 only) on the key of each purpose the function derives, and nothing
   * more. No function may seal or decrypt today: no card number is kept, and every other secret is
   * derived.
   */
  grant(grantee: IRole, macs: readonly MacPurpose[]): void {
    for (const purpose of macs) {
      const key = this.macKeys[purpose];
      const actions = ['kms:GenerateMac'];
      const condition = { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } };
      // In the role's policy (what the role may do) and in the key's (what the key lets it do:
      // the key policy trusts no IAM policy by itself).
      grantee.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [key.keyArn], conditions: condition }));
      key.addToResourcePolicy(new PolicyStatement({ principals: [grantee.grantPrincipal], actions, resources: ['*'], conditions: condition }));
    }
  }

  /** The environment that tells KmsKeyService which keys to use: exactly the keys of the purposes the function derives. */
  environment(macs: readonly MacPurpose[]): Record<string, string> {
    return Object.fromEntries(macs.map((purpose) => [macKeyVariable(purpose), this.macKeys[purpose].keyArn]));
  }
}
