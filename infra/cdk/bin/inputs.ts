/** Inputs of the example apps: context key `fooBar`, else environment variable `HDR_FOO_BAR`. */
import { App } from 'aws-cdk-lib';

/** Context key `fooBar`, else environment variable `HDR_FOO_BAR`; undefined when neither is set or it is empty. */
export function input(app: App, key: string): unknown {
  const fromContext = app.node.tryGetContext(key);
  if (fromContext !== undefined && fromContext !== '') return fromContext;
  const envName = `HDR_${key.replace(/([A-Z])/g, '_$1').toUpperCase()}`;
  const fromEnv = process.env[envName];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

export function text(app: App, key: string): string | undefined {
  const value = input(app, key);
  return value === undefined ? undefined : String(value);
}

export function num(app: App, key: string): number | undefined {
  const value = input(app, key);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`${key} must be a number; got "${value}".`);
  return parsed;
}

export function bool(app: App, key: string): boolean | undefined {
  const value = input(app, key);
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`${key} must be true or false; got "${value}".`);
}

/** A JSON value (context values given with -c are strings); undefined when unset. */
export function json(app: App, key: string): unknown {
  const value = input(app, key);
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new Error(`${key} is not valid JSON (${(e as Error).message}): ${value}`);
  }
}

/** A comma-separated list; undefined when unset. */
export function list(app: App, key: string): string[] | undefined {
  const value = input(app, key);
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return String(value)
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}
