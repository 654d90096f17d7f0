/**
 * Forecast of a period mark from the current marks, per school policy (domain reference §2.2).
 *
 * There is no federal formula: a school fixes the weights per kind of work, the bands from
 * average to mark, the minimum number of marks and what does not count (н, зач, осв, н/а …).
 * The average is rounded half-up to `averageDecimals` (2, as journals show it) before the bands
 * are applied, which is the "rounding in the student's favour" of the published bands: with the
 * 4.65 preset an average of 4.645 shows as 4,65 and gives 5, 4.6449 shows as 4,64 and gives 4.
 *
 * The result is always a *forecast* (`label` «Прогноз»), never the official period mark: only
 * the teacher sets that, and it arrives as a `mark` record of kind `period`. Pure module.
 */

export interface ForecastBand {
  /** Lowest average (after rounding) that gives `mark`. */
  min: number;
  mark: number;
}

export interface ForecastPolicy {
  /** Preset or school label, for the printout (e.g. 'standard', 'nso'). */
  id: string;
  aggregation: 'weighted_mean' | 'mean';
  /**
   * journal: the mark's own weight, else its assessment's, else the work-type table;
   * policy: the work-type table only (the school's local act overrides the journal).
   */
  weightSource: 'journal' | 'policy';
  /** Canonical work-type code (control_work, oral_answer, ext:…) → weight. */
  weightsByWorkType: Readonly<Record<string, number>>;
  defaultWeight: number;
  /** Highest first; an average below every band gives `lowestMark`. */
  bands: readonly ForecastBand[];
  lowestMark: number;
  /** Fewer counted marks than this: no forecast («недостаточно отметок»). */
  minMarks: number;
  /** Raw values that never count (compared case-insensitively, ё = е). */
  excludeCodes: readonly string[];
  averageDecimals: number;
}

const band = (a: number, b: number, c: number): ForecastBand[] => [{ min: a, mark: 5 }, { min: b, mark: 4 }, { min: c, mark: 3 }];

/** Bands of common school acts: mathematical rounding (default), Novosibirsk 2022 (4.65/3.65/2.65), and 4.6/3.6/2.6. */
export const FORECAST_PRESETS: Readonly<Record<'standard' | 'nso' | 'strict-4.6', readonly ForecastBand[]>> = {
  standard: band(4.5, 3.5, 2.5),
  nso: band(4.65, 3.65, 2.65),
  'strict-4.6': band(4.6, 3.6, 2.6),
};
export type ForecastPresetId = keyof typeof FORECAST_PRESETS;

export const DEFAULT_FORECAST_POLICY: Readonly<ForecastPolicy> = Object.freeze({
  id: 'standard',
  aggregation: 'weighted_mean',
  weightSource: 'journal',
  weightsByWorkType: Object.freeze({}),
  defaultWeight: 1,
  bands: FORECAST_PRESETS.standard,
  lowestMark: 2,
  minMarks: 3,
  excludeCodes: Object.freeze(['н', 'н/а', 'осв', 'зач', 'незач', 'нз', 'б', 'у', 'п', 'оп']),
  averageDecimals: 2,
});

/** `schools[].families.forecast` as configured (every field optional). */
export interface ForecastConfig {
  preset?: ForecastPresetId;
  bands?: ForecastBand[];
  aggregation?: ForecastPolicy['aggregation'];
  weightSource?: ForecastPolicy['weightSource'];
  weightsByWorkType?: Record<string, number>;
  defaultWeight?: number;
  minMarks?: number;
  excludeCodes?: string[];
  averageDecimals?: number;
}

/** JSON Schema fragment of `schools[].families.forecast` for config/gateway.schema.json. */
export const FORECAST_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description: 'Forecast of period marks (shown to families as a forecast, never as the official mark).',
  properties: {
    preset: { enum: Object.keys(FORECAST_PRESETS), description: 'standard 4.5/3.5/2.5, nso 4.65/3.65/2.65, strict-4.6 4.6/3.6/2.6.' },
    bands: {
      type: 'array', minItems: 1, maxItems: 10,
      items: { type: 'object', additionalProperties: false, required: ['min', 'mark'], properties: { min: { type: 'number', minimum: 0, maximum: 100 }, mark: { type: 'integer', minimum: 1, maximum: 100 } } },
    },
    aggregation: { enum: ['weighted_mean', 'mean'] },
    weightSource: { enum: ['journal', 'policy'] },
    weightsByWorkType: { type: 'object', additionalProperties: { type: 'number', exclusiveMinimum: 0, maximum: 100 } },
    defaultWeight: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
    minMarks: { type: 'integer', minimum: 0, maximum: 50 },
    excludeCodes: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 16 } },
    averageDecimals: { type: 'integer', minimum: 0, maximum: 4 },
  },
} as const;

export function resolveForecastPolicy(cfg: ForecastConfig = {}): ForecastPolicy {
  const d = DEFAULT_FORECAST_POLICY;
  const bands = [...(cfg.bands ?? FORECAST_PRESETS[cfg.preset ?? 'standard'])].sort((a, b) => b.min - a.min);
  return {
    id: cfg.bands ? 'school' : cfg.preset ?? d.id,
    aggregation: cfg.aggregation ?? d.aggregation,
    weightSource: cfg.weightSource ?? d.weightSource,
    weightsByWorkType: cfg.weightsByWorkType ?? d.weightsByWorkType,
    defaultWeight: cfg.defaultWeight ?? d.defaultWeight,
    bands,
    lowestMark: d.lowestMark,
    minMarks: cfg.minMarks ?? d.minMarks,
    excludeCodes: cfg.excludeCodes ?? d.excludeCodes,
    averageDecimals: cfg.averageDecimals ?? d.averageDecimals,
  };
}

/** What the forecast needs of one mark (from a canonical `mark` and its `assessment`). */
export interface ForecastInput {
  markStatus: string;
  value?: { scale: string; raw: string; numeric: number | null };
  /** The mark's own weight (mark.weight). */
  weight?: number;
  /** The assessment's weight and work-type code, when the mark is for an assessment. */
  assessmentWeight?: number;
  workType?: string;
}

export type ForecastStatus = 'forecast' | 'insufficient_marks' | 'no_marks';

export interface Forecast {
  /** Always «Прогноз»: this is never the official mark. */
  label: 'Прогноз';
  status: ForecastStatus;
  /** The forecast mark (status forecast only). */
  mark?: number;
  /** The average as rounded for the bands (absent without counted marks). */
  average?: number;
  counted: number;
  excluded: number;
  weightSum: number;
  minMarks: number;
  policyId: string;
}

const NUMERIC_SCALES = new Set(['five_point', 'five_point_modifiers']);
const norm = (s: string): string => s.trim().toLowerCase().replace(/ё/g, 'е');

/** Half-up rounding that is not fooled by binary fractions (4.645 → 4.65). */
export function roundHalfUp(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(Number((x * f).toFixed(9))) / f;
}

function weightOf(m: ForecastInput, p: ForecastPolicy): number {
  if (p.aggregation === 'mean') return 1;
  const table = m.workType !== undefined ? p.weightsByWorkType[m.workType] : undefined;
  if (p.weightSource === 'policy') return table ?? p.defaultWeight;
  return m.weight ?? m.assessmentWeight ?? table ?? p.defaultWeight;
}

/** The forecast from one student's current marks in one subject and period. */
export function forecastMark(marks: readonly ForecastInput[], policy: ForecastPolicy): Forecast {
  const excluded = new Set(policy.excludeCodes.map(norm));
  let sum = 0;
  let weightSum = 0;
  let counted = 0;
  let skipped = 0;
  for (const m of marks) {
    const v = m.value;
    const countable = m.markStatus === 'graded' && v !== undefined && v.numeric !== null && NUMERIC_SCALES.has(v.scale) && !excluded.has(norm(v.raw));
    if (!countable) { skipped++; continue; }
    const w = weightOf(m, policy);
    sum += (v.numeric as number) * w;
    weightSum += w;
    counted++;
  }
  const base = { label: 'Прогноз' as const, counted, excluded: skipped, weightSum: roundHalfUp(weightSum, 6), minMarks: policy.minMarks, policyId: policy.id };
  if (counted === 0 || weightSum <= 0) return { ...base, status: 'no_marks' };
  const average = roundHalfUp(sum / weightSum, policy.averageDecimals);
  if (counted < policy.minMarks) return { ...base, status: 'insufficient_marks', average };
  const hit = policy.bands.find((b) => average >= b.min - 1e-9);
  return { ...base, status: 'forecast', average, mark: hit?.mark ?? policy.lowestMark };
}

/** Russian wording for a printout cell: «4 (ср. 4,25)», «недостаточно отметок (2 из 3)», «нет отметок». */
export function forecastText(f: Forecast): string {
  const avg = f.average !== undefined ? f.average.toFixed(2).replace('.', ',') : '';
  if (f.status === 'forecast') return `${f.mark} (ср. ${avg})`;
  if (f.status === 'insufficient_marks') return `недостаточно отметок (${f.counted} из ${f.minMarks}), ср. ${avg}`;
  return 'нет отметок';
}

/** The disclaimer printed with every forecast. */
export const FORECAST_DISCLAIMER = 'Прогноз рассчитан по текущим отметкам по правилам школы и не является официальной отметкой за период: её выставляет учитель.';
