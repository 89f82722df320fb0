import { DomainError } from '@harbour/errors';

/**
 * Statistical disclosure control settings. Defaults follow common NHS practice for aggregate
 * outputs (small-number suppression below 10, rounding to the nearest 5; see e.g. NHS England's
 * "Analysis and Reporting of small numbers" guidance and the OpenSAFELY output checking rules).
 */
export interface SdcPolicy {
  /** Counts in 1 … threshold−1 are suppressed. */
  readonly threshold: number;
  /** Other counts are rounded to the nearest multiple of this. */
  readonly roundingBase: number;
  /** Statistics over fewer persons are withheld. */
  readonly statisticMinPatients: number;
  /** Statistics are rounded to this many significant figures. */
  readonly statisticSignificantFigures: number;
  /** A release whose cohort differs from an earlier one of the same partner by 1 … this−1 persons is refused. */
  readonly differencingThreshold: number;
  /** At most this many queries of the same shape per partner per window … */
  readonly rateLimitMax: number;
  /** … of this many seconds. */
  readonly rateLimitWindowSeconds: number;
}

export type SdcPolicyInput = Partial<SdcPolicy>;

export const DEFAULT_SDC_POLICY: SdcPolicy = Object.freeze({
  threshold: 10,
  roundingBase: 5,
  statisticMinPatients: 10,
  statisticSignificantFigures: 3,
  differencingThreshold: 10,
  rateLimitMax: 20,
  rateLimitWindowSeconds: 3600,
});

/** For each field: whether a larger value is stricter, and the accepted range. */
const FIELDS: Record<keyof SdcPolicy, { larger: 'stricter' | 'laxer'; min: number; max: number }> = {
  threshold: { larger: 'stricter', min: 1, max: 1000 },
  roundingBase: { larger: 'stricter', min: 1, max: 100 },
  statisticMinPatients: { larger: 'stricter', min: 1, max: 100_000 },
  statisticSignificantFigures: { larger: 'laxer', min: 1, max: 6 },
  differencingThreshold: { larger: 'stricter', min: 1, max: 1000 },
  rateLimitMax: { larger: 'laxer', min: 1, max: 100_000 },
  rateLimitWindowSeconds: { larger: 'stricter', min: 1, max: 31_536_000 },
};

/**
 * The effective policy for a query: the defaults and every given trust or project setting,
 * field by field, the strictest wins. Settings can tighten control, never loosen it below the
 * defaults, so no single party (nor the caller) can weaken another's protection.
 */
export function effectiveSdcPolicy(inputs: SdcPolicyInput | readonly SdcPolicyInput[] | undefined): SdcPolicy {
  const list: readonly SdcPolicyInput[] = inputs === undefined ? [] : Array.isArray(inputs) ? inputs : [inputs as SdcPolicyInput];
  const out: Record<string, number> = { ...DEFAULT_SDC_POLICY };
  for (const input of list) {
    for (const [k, v] of Object.entries(input)) {
      const spec = FIELDS[k as keyof SdcPolicy] as (typeof FIELDS)[keyof SdcPolicy] | undefined;
      if (!spec) throw new DomainError('invalid_request', `unknown disclosure-control setting ${k}`);
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < spec.min || v > spec.max) {
        throw new DomainError('invalid_request', `disclosure-control setting ${k} must be an integer in ${spec.min}…${spec.max}`);
      }
      const cur = out[k] as number;
      out[k] = spec.larger === 'stricter' ? Math.max(cur, v) : Math.min(cur, v);
    }
  }
  return Object.freeze(out as unknown as SdcPolicy);
}
