import { EnvironmentSchema } from '../../shared/config.ts';

/**
 * The optional settings of API.md ("The local gateway") that the functions read from their
 * environment, taken from shared/config.ts so the names cannot drift; the stack sets the others
 * itself (PAYGATE_*). Unset ones keep the defaults of shared/config.ts.
 */
export const SETTING_NAMES: readonly string[] = Object.keys(EnvironmentSchema.shape).filter((name) => !name.startsWith('PAYGATE_'));

/** Picks the settings given (as CDK context, `-c RATE_LIMIT_PAYMENT_PER_SECOND=50`) and validates them at synth time. */
export function pickSettings(lookup: (name: string) => unknown): Record<string, string> {
  const chosen: Record<string, string> = {};
  for (const name of SETTING_NAMES) {
    const value = lookup(name);
    if (value !== undefined && value !== null && value !== '') chosen[name] = String(value);
  }
  const parsed = EnvironmentSchema.safeParse(chosen);
  if (!parsed.success) {
    throw new Error(`invalid setting: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return chosen;
}
