/** Test mode (API.md, "Test helpers"): a stage that issues test keys. Its own module, so that no command module pulls another in for it. */
import { errors } from '../domain/errors.ts';
import type { Dependencies } from '../dependencies.ts';

export function isTestMode(deps: Dependencies): boolean {
  return deps.settings.apiKeyPrefix === 'sk_test_';
}

/** Test helpers answer only where test keys are issued (a live stage: `403 test_mode_only`). */
export function assertTestMode(deps: Dependencies): void {
  if (!isTestMode(deps)) throw errors.testModeOnly();
}
