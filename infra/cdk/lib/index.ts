export * from './hyperdrive-dsql-rotator';
export * from './rotation-plan';
