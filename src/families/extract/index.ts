/** Weekly paper extracts for families without electronic delivery: assembly from the ledger, PDFs, the register with deadlines, the weekly job. */
export * from './week';
export * from './assemble';
export * from './render';
export * from './register';
export * from './run';
export * from './recipients';
export * from './schedule';
export * from './reprint';
