import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { HarbourConfig } from './config.js';
import { ConfigError } from './config.js';

/**
 * Secret key material. The master key never leaves this object except into key derivation;
 * it has no toJSON/inspect output so it cannot end up in a log line by accident.
 */
export class KeyMaterial {
  readonly #master: Buffer;
  constructor(master: Buffer) {
    this.#master = master;
  }
  /** The station master key (>= 32 bytes): root of pseudonymisation and per-trust data keys. */
  masterKey(): Buffer {
    return this.#master;
  }
  toJSON(): string {
    return '[KeyMaterial]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[KeyMaterial]';
  }
}

function decodeKey(raw: string, source: string): Buffer {
  const s = raw.trim();
  const buf = /^[0-9a-fA-F]+$/.test(s) && s.length % 2 === 0 ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
  if (buf.length < 32) throw new ConfigError([`${source} must hold at least 32 bytes (base64 or hex)`]);
  return buf;
}

/** Write a secret file atomically with mode 0600 in a 0700 folder. */
export function writeSecretFile(path: string, content: string): void {
  const dir = resolve(path, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/**
 * Load the master key: from HARBOUR_MASTER_KEY, else HARBOUR_MASTER_KEY_FILE, else the generated
 * file under the keys folder, generating it on first start when allowed (the embedded default).
 */
export function loadKeyMaterial(config: HarbourConfig): KeyMaterial {
  const { keys } = config;
  if (keys.masterKey) return new KeyMaterial(decodeKey(keys.masterKey, 'HARBOUR_MASTER_KEY'));
  if (keys.masterKeyFile) {
    if (!existsSync(keys.masterKeyFile)) throw new ConfigError([`HARBOUR_MASTER_KEY_FILE ${keys.masterKeyFile} does not exist`]);
    return new KeyMaterial(decodeKey(readFileSync(keys.masterKeyFile, 'utf8'), 'HARBOUR_MASTER_KEY_FILE'));
  }
  const file = resolve(keys.dir, 'master.key');
  if (existsSync(file)) return new KeyMaterial(decodeKey(readFileSync(file, 'utf8'), file));
  if (!keys.generateMissing) {
    throw new ConfigError(['no master key: set HARBOUR_MASTER_KEY or HARBOUR_MASTER_KEY_FILE']);
  }
  const key = randomBytes(32);
  try {
    // 'wx' so two processes starting together cannot both generate different keys.
    mkdirSync(keys.dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return new KeyMaterial(decodeKey(readFileSync(file, 'utf8'), file));
  }
  return new KeyMaterial(key);
}
