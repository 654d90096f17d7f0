/**
 * Forecast of period marks on hand-computed examples: weights by work type (journal vs school
 * table), the 4.5/3.5/2.5 default and the 4.65 and 4.6 presets, rounding in the student's
 * favour at two decimals, the minimum number of marks, and codes that never count (н, зач, осв).
 */
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import {
  FORECAST_CONFIG_SCHEMA, FORECAST_DISCLAIMER, forecastMark, forecastText, resolveForecastPolicy, roundHalfUp, type ForecastInput,
} from '../../src/families/forecast';

const g = (raw: string, extra: Partial<ForecastInput> = {}): ForecastInput => ({
  markStatus: 'graded', value: { scale: 'five_point', raw, numeric: /^[1-5]$/.test(raw) ? Number(raw) : null }, ...extra,
});
const special = (raw: string, markStatus = 'graded'): ForecastInput => ({ markStatus, value: { scale: 'text', raw, numeric: null } });

describe('families/forecast', () => {
  const standard = resolveForecastPolicy();
  const nso = resolveForecastPolicy({ preset: 'nso' });
  const strict = resolveForecastPolicy({ preset: 'strict-4.6' });

  it('weighted by the journal: 5 (контрольная, вес 2), 4, 3 → 17/4 = 4.25 → 4; н and зач do not count', () => {
    const marks = [g('5', { assessmentWeight: 2, workType: 'control_work' }), g('4', { workType: 'oral_answer' }), g('3', { workType: 'homework' }), special('н'), special('зач')];
    const f = forecastMark(marks, standard);
    assert.deepEqual([f.label, f.status, f.mark, f.average, f.counted, f.excluded, f.weightSum], ['Прогноз', 'forecast', 4, 4.25, 3, 2, 4]);
    assert.equal(forecastText(f), '4 (ср. 4,25)');
  });

  it('«н» written as a five-point mark with a number is still excluded by its code', () => {
    const n: ForecastInput = { markStatus: 'graded', value: { scale: 'five_point', raw: 'Н', numeric: 2 } };
    assert.deepEqual([forecastMark([g('5'), g('5'), g('5'), n], standard).average, forecastMark([g('5'), g('5'), g('5'), n], standard).excluded], [5, 1]);
  });

  it('5, 4, 5, 4 → 4.50: 5 by default, 4 under the 4.65 preset and the 4.6 preset', () => {
    const marks = ['5', '4', '5', '4'].map((m) => g(m));
    assert.deepEqual([forecastMark(marks, standard).mark, forecastMark(marks, nso).mark, forecastMark(marks, strict).mark], [5, 4, 4]);
  });

  it('5, 5, 4 → 4.666… shown as 4.67 → 5 under every preset; 4, 3, 3 → 3.33 → 3; 3, 2, 2 → 2.33 → 2', () => {
    const f = forecastMark([g('5'), g('5'), g('4')], nso);
    assert.deepEqual([f.average, f.mark], [4.67, 5]);
    assert.deepEqual([forecastMark([g('4'), g('3'), g('3')], standard).mark, forecastMark([g('3'), g('2'), g('2')], standard).mark], [3, 2]);
  });

  it('rounding in the student\'s favour: 4.645 → 4,65 → 5 under nso; 4.6449 → 4,64 → 4', () => {
    // (5·1.29 + 4·0.71) / 2 = 4.645 exactly; in binary it is a hair off either way.
    const up = forecastMark([g('5', { weight: 1.29 }), g('4', { weight: 0.71 })], { ...nso, minMarks: 2 });
    assert.deepEqual([up.average, up.mark], [4.65, 5]);
    const down = forecastMark([g('5', { weight: 0.6449 }), g('4', { weight: 0.3551 })], { ...nso, minMarks: 2 });
    assert.deepEqual([down.average, down.mark], [4.64, 4]);
    assert.deepEqual([roundHalfUp(4.645, 2), roundHalfUp(2.675, 2), roundHalfUp(3.6449, 2)], [4.65, 2.68, 3.64]);
  });

  it('minimum number of marks: two marks when three are required give no mark, only the average', () => {
    const f = forecastMark([g('5'), g('4'), special('н')], standard);
    assert.deepEqual([f.status, f.mark, f.average, f.counted], ['insufficient_marks', undefined, 4.5, 2]);
    assert.equal(forecastText(f), 'недостаточно отметок (2 из 3), ср. 4,50');
    assert.equal(forecastMark([g('5'), g('4')], resolveForecastPolicy({ minMarks: 2 })).status, 'forecast');
    assert.deepEqual([forecastMark([], standard).status, forecastText(forecastMark([special('осв', 'exempt')], standard))], ['no_marks', 'нет отметок']);
  });

  it('the school table of weights overrides the journal when weightSource is policy; mean ignores weights', () => {
    const marks = [g('2', { assessmentWeight: 1, workType: 'control_work' }), g('5', { workType: 'oral_answer' }), g('5', { workType: 'ext:olympiad' })];
    // journal: (2 + 5 + 5) / 3 = 4.00 → 4
    assert.deepEqual([forecastMark(marks, standard).average, forecastMark(marks, standard).mark], [4, 4]);
    // policy: control_work 3, oral_answer 1, unknown → defaultWeight 1: (6 + 5 + 5) / 5 = 3.20 → 3
    const school = resolveForecastPolicy({ weightSource: 'policy', weightsByWorkType: { control_work: 3, oral_answer: 1 } });
    assert.deepEqual([forecastMark(marks, school).average, forecastMark(marks, school).mark, forecastMark(marks, school).weightSum], [3.2, 3, 5]);
    const heavy = [g('5', { weight: 5 }), g('3'), g('3')];
    assert.deepEqual([forecastMark(heavy, standard).average, forecastMark(heavy, resolveForecastPolicy({ aggregation: 'mean' })).average], [4.43, 3.67]);
  });

  it('marks on the modifier scale count with their numeric value; deferred, exempt and н/а marks do not', () => {
    const minus: ForecastInput = { markStatus: 'graded', value: { scale: 'five_point_modifiers', raw: '5-', numeric: 4.75 } };
    const f = forecastMark([minus, g('4'), g('4'), special('н/а', 'not_attested'), { markStatus: 'deferred' }], standard);
    assert.deepEqual([f.average, f.mark, f.counted, f.excluded], [4.25, 4, 3, 2]);
  });

  it('custom bands and the config schema fragment', () => {
    const p = resolveForecastPolicy({ bands: [{ min: 2.5, mark: 3 }, { min: 4.7, mark: 5 }, { min: 3.5, mark: 4 }] });
    assert.deepEqual([p.id, p.bands.map((b) => b.mark), forecastMark([g('5'), g('5'), g('4'), g('5')], p).mark], ['school', [5, 4, 3], 5]);
    assert.equal(forecastMark([g('5'), g('4'), g('5'), g('5'), g('4')], p).mark, 4, '4.60 is below the 4.7 bar');
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(FORECAST_CONFIG_SCHEMA);
    assert.ok(validate({ preset: 'nso', minMarks: 3, weightsByWorkType: { control_work: 2 }, excludeCodes: ['н', 'зач'] }));
    assert.ok(!validate({ preset: 'moscow' }) && !validate({ bands: [{ min: 4.5 }] }));
    assert.match(FORECAST_DISCLAIMER, /не является официальной отметкой/);
  });
});
