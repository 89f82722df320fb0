import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one typed configuration of a Harbour process. `loadConfig()` is the only place in the
 * code base that reads `process.env` (enforced by lint); everything else receives this object.
 * Every invalid variable is reported at once, so an operator fixes a deployment in one pass.
 */
export interface HarbourConfig {
  readonly env: 'development' | 'test' | 'production';
  readonly projectRoot: string;
  readonly dataDir: string;
  readonly http: {
    readonly host: string;
    readonly port: number;
    /** Largest JSON/form body accepted, in bytes (uploads of extracts and DICOM use their own limits). */
    readonly bodyLimitBytes: number;
    /** Largest upload (DICOM STOW, extract upload) in bytes. */
    readonly uploadLimitBytes: number;
    /** Base URL clients use; also the audience of client assertions and the token issuer. */
    readonly publicUrl: string;
  };
  readonly database: {
    /** External PostgreSQL; when absent, an embedded PostgreSQL is started under `dataDir/pg`. */
    readonly url: string | undefined;
    readonly embeddedPort: number;
    readonly poolSize: number;
  };
  readonly storage:
    | { readonly kind: 'local'; readonly dir: string }
    | {
        readonly kind: 's3';
        readonly bucket: string;
        readonly endpoint: string | undefined;
        readonly region: string;
        readonly forcePathStyle: boolean;
      };
  readonly log: { readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent' };
  readonly telemetry: { readonly otlpEndpoint: string | undefined; readonly serviceName: string };
  readonly keys: {
    /** Folder for generated key material (embedded default); files are mode 0600. */
    readonly dir: string;
    /** Master key for pseudonymisation and data keys: base64 or hex of >= 32 bytes. */
    readonly masterKey: string | undefined;
    readonly masterKeyFile: string | undefined;
    /** Whether missing keys may be generated (true unless production). */
    readonly generateMissing: boolean;
  };
  readonly demo: {
    readonly seedOnStart: boolean;
    readonly patientsPerTrust: number;
    readonly seed: number;
  };
  readonly worker: { readonly concurrency: number };
  readonly auth: {
    /**
     * External OpenID Connect provider whose tokens Harbour also accepts (e.g. NHS CIS2 or a
     * trust's Entra ID); its subjects map to Harbour users. Absent: only Harbour's own tokens.
     */
    readonly oidc: { readonly issuer: string; readonly jwksUrl: string; readonly audience: string } | undefined;
  };
  readonly audit: {
    /** pg-boss cron (UTC) of the periodic signed checkpoint. */
    readonly checkpointCron: string;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** The repository root, found from this file's location so commands work from any folder. */
export function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(resolve(dir, 'package.json')) && existsSync(resolve(dir, 'libs'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

type Env = Readonly<Record<string, string | undefined>>;

/** Build and validate the configuration from an environment (defaults to `process.env`). */
export function loadConfig(env: Env = process.env): HarbourConfig {
  const problems: string[] = [];
  const root = findProjectRoot();
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return def;
    }
    return n;
  };
  const bool = (name: string, def: boolean): boolean => {
    const raw = str(name);
    if (raw === undefined) return def;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return def;
  };
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(root, p));
  const oneOf = <T extends string>(name: string, allowed: readonly T[], def: T): T => {
    const raw = str(name);
    if (raw === undefined) return def;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
    return def;
  };

  const nodeEnv = oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const dataDir = path(str('HARBOUR_DATA_DIR') ?? '.data');
  const port = int('PORT', 3000, 0, 65535);
  const host = str('HOST') ?? '0.0.0.0';
  const publicUrl = (str('HARBOUR_PUBLIC_URL') ?? `http://localhost:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(publicUrl)) problems.push('HARBOUR_PUBLIC_URL must be an http(s) URL');

  const databaseUrl = str('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }

  const storageKind = oneOf('HARBOUR_STORAGE', ['local', 's3'] as const, 'local');
  let storage: HarbourConfig['storage'];
  if (storageKind === 's3') {
    const bucket = str('HARBOUR_S3_BUCKET');
    if (!bucket) problems.push('HARBOUR_S3_BUCKET is required when HARBOUR_STORAGE=s3');
    storage = {
      kind: 's3',
      bucket: bucket ?? '',
      endpoint: str('HARBOUR_S3_ENDPOINT'),
      region: str('HARBOUR_S3_REGION') ?? 'eu-west-2',
      forcePathStyle: bool('HARBOUR_S3_FORCE_PATH_STYLE', true),
    };
  } else {
    storage = { kind: 'local', dir: path(str('HARBOUR_STORAGE_DIR') ?? resolve(dataDir, 'storage')) };
  }

  const otlp = str('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (otlp && !/^https?:\/\//.test(otlp)) problems.push('OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL');

  const masterKeyFile = str('HARBOUR_MASTER_KEY_FILE');

  const oidcIssuer = str('HARBOUR_OIDC_ISSUER');
  const oidcJwksUrl = str('HARBOUR_OIDC_JWKS_URL');
  const oidcAudience = str('HARBOUR_OIDC_AUDIENCE');
  let oidc: HarbourConfig['auth']['oidc'];
  if (oidcIssuer || oidcJwksUrl || oidcAudience) {
    if (!oidcIssuer || !oidcJwksUrl || !oidcAudience) {
      problems.push('HARBOUR_OIDC_ISSUER, HARBOUR_OIDC_JWKS_URL and HARBOUR_OIDC_AUDIENCE must be set together');
    } else if (!/^https?:\/\//.test(oidcJwksUrl)) {
      problems.push('HARBOUR_OIDC_JWKS_URL must be an http(s) URL');
    } else {
      oidc = { issuer: oidcIssuer, jwksUrl: oidcJwksUrl, audience: oidcAudience };
    }
  }
  const checkpointCron = str('HARBOUR_AUDIT_CHECKPOINT_CRON') ?? '*/10 * * * *';
  if (checkpointCron.split(/\s+/).length !== 5) problems.push('HARBOUR_AUDIT_CHECKPOINT_CRON must be a 5-field cron expression');
  const config: HarbourConfig = {
    env: nodeEnv,
    projectRoot: root,
    dataDir,
    http: {
      host,
      port,
      bodyLimitBytes: int('HARBOUR_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
      uploadLimitBytes: int('HARBOUR_UPLOAD_LIMIT_BYTES', 2 * 1024 * 1024 * 1024, 1024, Number.MAX_SAFE_INTEGER),
      publicUrl,
    },
    database: {
      url: databaseUrl,
      embeddedPort: int('HARBOUR_EMBEDDED_PG_PORT', 54329, 1024, 65535),
      poolSize: int('HARBOUR_DB_POOL_SIZE', 10, 1, 200),
    },
    storage,
    log: {
      level: oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const, 'info'),
    },
    telemetry: { otlpEndpoint: otlp, serviceName: str('OTEL_SERVICE_NAME') ?? 'harbour' },
    keys: {
      dir: path(str('HARBOUR_KEYS_DIR') ?? resolve(dataDir, 'keys')),
      masterKey: str('HARBOUR_MASTER_KEY'),
      masterKeyFile: masterKeyFile ? path(masterKeyFile) : undefined,
      generateMissing: bool('HARBOUR_GENERATE_KEYS', nodeEnv !== 'production'),
    },
    demo: {
      seedOnStart: bool('HARBOUR_DEMO_SEED', nodeEnv !== 'production'),
      patientsPerTrust: int('HARBOUR_DEMO_PATIENTS_PER_TRUST', 150, 1, 10_000_000),
      seed: int('HARBOUR_DEMO_SEED_VALUE', 42, 0, 2 ** 31 - 1),
    },
    worker: { concurrency: int('HARBOUR_WORKER_CONCURRENCY', 2, 1, 64) },
    auth: { oidc },
    audit: { checkpointCron },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
