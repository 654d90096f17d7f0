/**
 * The pieces of the families config and e-mail that need no server: the JSON Schema fragments
 * proposed for config/gateway.schema.json (compile under ajv strict, defaults, a literal SMTP
 * password refused, the 30-day cap), the runtime factory, the SMTP error table, and the
 * letters' escaping and wording.
 */
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { GatewayConfig } from '../../src/infra/config';
import { nullLogger } from '../../src/core/logger';
import { createFamiliesRuntime } from '../../src/families/consent/runtime';
import { FAMILIES_GATEWAY_SCHEMA, familiesSettings } from '../../src/families/consent/settings';
import { EMAIL_CONFIG_SCHEMA, emailTransportConfig, notifierSchools, SCHOOL_FAMILIES_SCHEMA } from '../../src/families/email/config';
import { absenceLetter, digestLetter, finalMarkLetter } from '../../src/families/email/templates';
import { mapSmtpError } from '../../src/families/email/transport';
import { MAX_PURGE_DAYS } from '../../src/ledger/sqlite/consent-store';
import { tmpLedger } from '../support/harness';

/** Compiles a fragment the way gateway.schema.json embeds it (as a property), and validates a value in place. */
function fragment(schema: object): (value: Record<string, unknown>) => boolean {
  const a = new Ajv2020({ strict: true, allErrors: true, useDefaults: true });
  addFormats(a);
  a.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  const v = a.compile({ type: 'object', properties: { x: schema } });
  return (value) => v({ x: value });
}

describe('families config fragments and e-mail pieces', () => {
  it('compiles the fragments under ajv strict, fills defaults and refuses a literal SMTP password', () => {
    const email = fragment(EMAIL_CONFIG_SCHEMA);
    const ok = { host: 'smtp.school5.ru', from: 'Дневник <diary@school5.ru>', auth: { user: 'diary', password: '${SMTP_PASSWORD}' } };
    assert.equal(email(ok), true);
    assert.deepEqual({ port: (ok as Record<string, unknown>)['port'], requireTLS: (ok as Record<string, unknown>)['requireTLS'] }, { port: 587, requireTLS: true });
    assert.equal(email({ ...ok, auth: { user: 'diary', password: 'hunter2' } }), false);
    const fam = fragment(FAMILIES_GATEWAY_SCHEMA);
    assert.equal(fam({ purgeAfterDays: MAX_PURGE_DAYS + 1 }), false, 'never more than 30 days');
    const f: Record<string, unknown> = {};
    assert.equal(fam(f), true);
    assert.deepEqual(f, { consentGate: 'enforce', purgeAfterDays: 30, purgeIntervalMinutes: 60, evidenceRetentionDays: 1095, notifyIntervalSeconds: 60 });
    const school = fragment(SCHOOL_FAMILIES_SCHEMA);
    assert.equal(school({ email: { enabled: true, digestTime: '25:00' } }), false);
  });

  it('reads settings with defaults and builds the runtime (store, gate, notifier) from a config', async () => {
    const { ledger } = await tmpLedger();
    try {
      const config = {
        gateway: { idNamespace: '6f1c2a4e-8d3b-5e7f-9a10-3c2b1d4e5f60', families: { purgeAfterDays: 14 }, email: { host: '127.0.0.1', port: 2525, from: 'd@x.ru' } },
        schools: [{ id: 's', name: 'Школа', timezone: 'Europe/Moscow', sources: [], sinks: [], families: { email: { enabled: true } } }],
        sinks: [], simulators: [],
      } as unknown as GatewayConfig;
      assert.equal(familiesSettings(config).purgeAfterDays, 14);
      assert.equal(emailTransportConfig(config)?.secure, false);
      assert.deepEqual(notifierSchools(config)[0]?.email.instant, ['absence', 'final_mark']);
      const rt = createFamiliesRuntime(config, ledger, { log: nullLogger, now: () => new Date() });
      assert.ok(rt.notifier && rt.transport);
      assert.equal(rt.purgeIntervalMs, 3_600_000);
      rt.transport.close();
      const noMail = createFamiliesRuntime({ ...config, gateway: { ...config.gateway, email: undefined } } as unknown as GatewayConfig, ledger, { log: nullLogger, now: () => new Date() });
      assert.equal(noMail.notifier, undefined);
    } finally {
      await ledger.close();
    }
  });

  it('maps SMTP failures by table, without quoting the server (which repeats addresses)', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ code: 'EAUTH', responseCode: 535 }, 'GW_SINK_AUTH_FAILED'], [{ code: 'ETIMEDOUT' }, 'GW_SINK_TIMEOUT'],
      [{ code: 'ECONNECTION' }, 'GW_SINK_UNAVAILABLE'], [{ code: 'EENVELOPE', responseCode: 452 }, 'GW_SINK_UNAVAILABLE'],
      [{ code: 'EENVELOPE', responseCode: 550 }, 'GW_SINK_REJECTED'],
    ];
    for (const [e, code] of cases) {
      const err = mapSmtpError(Object.assign(new Error('550 5.1.1 <anna@family.test>: Recipient address rejected'), e));
      assert.equal(err.code, code);
      assert.ok(!err.message.includes('anna@family.test'));
    }
  });

  it('escapes HTML, labels the forecast, words deferrals, and sends no empty digest', () => {
    const child = { givenName: '<Иван>', familyName: 'Петров' };
    const a = absenceLetter({ child, date: '2025-11-13', category: 'absent_illness', code: 'б', schoolTitle: 'Школа & Ко' });
    assert.match(a.html, /&lt;Иван&gt; П\./);
    assert.match(a.html, /Школа &amp; Ко/);
    assert.ok(!a.html.includes('<Иван>'));
    assert.match(a.text, /на занятиях\. Отметка в журнале: «б» \(по болезни\)/);
    const d = finalMarkLetter({ child, kind: 'period', subject: 'Физика', period: 'II четверть', markStatus: 'deferred', deferralDue: '2026-01-20', schoolTitle: 'Школа' });
    assert.match(d.text, /не аттестован\(а\) по уважительной причине; аттестация назначена до 20\.01\.2026/);
    const empty = { child, date: '2025-11-13', marks: [], homework: [], changes: [], tests: [], schoolTitle: 'Школа' };
    assert.equal(digestLetter({ ...empty, forecast: [{ subject: 'Физика', forecast: '4' }] }), undefined, 'a forecast alone is no news');
    const full = digestLetter({ ...empty, marks: [{ subject: 'Физика', value: '5' }], forecast: [{ subject: 'Физика', forecast: '4' }] });
    assert.match(full?.text ?? '', /Прогноз отметок за текущий период \(не является официальной отметкой\)/);
  });
});
