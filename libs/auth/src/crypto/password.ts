import { randomBytes } from 'node:crypto';
import { argon2id, argon2Verify } from 'hash-wasm';

/**
 * argon2id (RFC 9106) with OWASP's minimum profile: 19 MiB, 2 iterations, 1 lane.
 * Stored as the PHC string, which records the parameters, so they can be raised later.
 */
const PARAMS = { parallelism: 1, iterations: 2, memorySize: 19456, hashLength: 32 } as const;

export async function hashPassword(password: string): Promise<string> {
  return argon2id({ password, salt: randomBytes(16), ...PARAMS, outputType: 'encoded' });
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  try {
    return await argon2Verify({ password, hash });
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** Spend the same time for an unknown user as for a wrong password (no username oracle by timing). */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword('harbour-dummy-password');
  await verifyPassword(password, await dummy);
}

/** NIST SP 800-63B §5.1.1.2: length matters, composition rules do not. */
export function passwordProblems(password: string): string[] {
  const out: string[] = [];
  if (password.length < 12) out.push('password must be at least 12 characters');
  if (password.length > 256) out.push('password must be at most 256 characters');
  return out;
}
