export * from './hyperdrive-dsql-rotator';
export * from './code';
export * from './cross-account-signer';
export * from './rotation-plan';
export * from './targets';
export * from './time-to-dark';
export * from './fleet';
