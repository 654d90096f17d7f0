/**
 * The configuration schema as validated: `config/gateway.schema.json` with the blocks whose
 * schema lives beside the code that reads them (e-mail, SMS, families, forecast, extracts)
 * put in at their places. One source for each block: the JSON file names them and points here,
 * the code carries the schema and its defaults. SLA: src/sla/settings.ts.
 */
import gatewaySchema from '../../config/gateway.schema.json';
import { FAMILIES_GATEWAY_SCHEMA } from '../families/consent/settings';
import { EMAIL_CONFIG_SCHEMA, SCHOOL_FAMILIES_SCHEMA } from '../families/email/config';
import { EXTRACTS_CONFIG_SCHEMA } from '../families/extract/run';
import { FORECAST_CONFIG_SCHEMA } from '../families/forecast';
import { SMS_GATEWAY_CONFIG_SCHEMA, SMS_SCHOOL_CONFIG_SCHEMA } from '../families/sms/config';
import { GATEWAY_SLA_SCHEMA, SCHOOL_SLA_CONFIG_SCHEMA } from '../sla/settings';

type Json = Record<string, unknown>;

const at = (o: Json, ...keys: string[]): Json => keys.reduce<Json>((cur, k) => cur[k] as Json, o);

export function gatewayConfigSchema(): Json {
  const s = JSON.parse(JSON.stringify(gatewaySchema)) as Json;
  const gateway = at(s, 'properties', 'gateway', 'properties');
  gateway['email'] = EMAIL_CONFIG_SCHEMA;
  gateway['sms'] = SMS_GATEWAY_CONFIG_SCHEMA;
  gateway['families'] = FAMILIES_GATEWAY_SCHEMA;
  gateway['sla'] = GATEWAY_SLA_SCHEMA;
  const school = at(s, 'properties', 'schools', 'items', 'properties');
  const families = JSON.parse(JSON.stringify(SCHOOL_FAMILIES_SCHEMA)) as Json;
  const fp = families['properties'] as Json;
  fp['sms'] = SMS_SCHOOL_CONFIG_SCHEMA;
  fp['forecast'] = FORECAST_CONFIG_SCHEMA;
  fp['extracts'] = EXTRACTS_CONFIG_SCHEMA;
  school['families'] = families;
  school['sla'] = SCHOOL_SLA_CONFIG_SCHEMA;
  return s;
}
