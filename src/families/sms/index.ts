/** The SMS channel: segment counting, transliteration, quiet hours, the sending decision, the HTTP gateway client and its simulator. */
export * from './segments';
export * from './translit';
export * from './quiet-hours';
export * from './policy';
export * from './errors';
export * from './client';
export * from './config';
export { E164, RU_MOBILE } from './protocol';
export { smsGatewaySimulator, startSmsSimulator, type SmsSimulatorHandle, type SmsSimulatorOptions } from './simulator';
export * from './opt-outs';
export * from './notifier';
