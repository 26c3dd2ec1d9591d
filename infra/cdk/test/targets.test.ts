/**
 * One definition of a valid target: the corpus of bad targets that the function refuses
 * (tests/fixtures/bad-targets.json, also fed to the function and to the Terraform module by infra/test.sh) is refused
 * at synth, entry by entry, naming the target and the field; valid targets pass.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Token } from 'aws-cdk-lib';
import { CACHING_FIELDS, MTLS_FIELDS, TARGET_FIELDS, functionTarget, targetProblems } from '../lib';
import { ACCOUNT, ORDERS_HOST, build } from './helpers';

interface Entry {
  readonly why: string;
  readonly field: string;
  readonly target: Record<string, unknown>;
}

const CORPUS = path.resolve(__dirname, '..', '..', '..', 'tests', 'fixtures', 'bad-targets.json');
const corpus: Entry[] = JSON.parse(fs.readFileSync(CORPUS, 'utf8'));

/** The construct's name of a field of the function (account_id -> accountId); other names unchanged. */
const FROM_FUNCTION: Record<string, string> = {
  ...Object.fromEntries(Object.entries(TARGET_FIELDS).filter(([, f]) => f !== undefined).map(([k, f]) => [f!, k])),
  signer_role_arn: 'signerRoleArn',
};
const CACHING_FROM_FUNCTION = Object.fromEntries(Object.entries(CACHING_FIELDS).map(([k, f]) => [f, k]));
const MTLS_FROM_FUNCTION: Record<string, string> = Object.fromEntries(Object.entries(MTLS_FIELDS).map(([k, f]) => [f, k]));
/** The construct's name of a corpus field: `account_id` -> `accountId`, `mtls.ca_certificate_id` -> `mtls.caCertificateId`. */
function constructField(field: string): string {
  const [top, sub] = field.split('.', 2);
  if (sub === undefined) return FROM_FUNCTION[field] ?? field;
  return `${FROM_FUNCTION[top] ?? top}.${top === 'mtls' ? (MTLS_FROM_FUNCTION[sub] ?? sub) : sub}`;
}

/** A target of the function's corpus, written as a construct user would write it (camelCase). */
function asConstructTarget(target: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(target).map(([k, v]) => [
      FROM_FUNCTION[k] ?? k,
      (k === 'caching' || k === 'mtls') && typeof v === 'object' && v !== null && !Array.isArray(v)
        ? Object.fromEntries(
            Object.entries(v).map(([ck, cv]) => [(k === 'caching' ? CACHING_FROM_FUNCTION : MTLS_FROM_FUNCTION)[ck] ?? ck, cv]),
          )
        : v,
    ]),
  );
}

describe('the bad-target corpus (tests/fixtures/bad-targets.json)', () => {
  it('has entries, each with a reason, a field and a target', () => {
    assert.ok(corpus.length >= 15, `only ${corpus.length} entries`);
    for (const e of corpus) assert.ok(e.why && e.field && typeof e.target === 'object', JSON.stringify(e));
  });

  for (const entry of corpus) {
    it(`refuses at synth: ${entry.why}`, () => {
      const target = asConstructTarget(entry.target);
      const field = constructField(entry.field);
      assert.throws(
        () => build({ targets: [target as never] }),
        (e: Error) => {
          // The construct quotes names with every character outside printable ASCII escaped (lib/targets.ts, quote).
          const quoted = JSON.stringify(target.name)?.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
          const named = typeof target.name === 'string' ? `targets[0] ${quoted}: ` : 'targets[0]: ';
          const line = e.message.split('\n').find((l) => l.includes(named) && l.includes(`: ${field} `));
          assert.ok(line, `no problem names ${named}and ${field}:\n${e.message}`);
          return true;
        },
      );
    });
  }
});

describe('rules the function added after the corpus\'s binary', () => {
  // Not in tests/fixtures/bad-targets.json yet: the release binary infra/test.sh may be given predates them.
  it('refuses a name with characters other than printable ASCII, and spaces in a user or database', () => {
    assert.match(targetProblems([{ name: 'orders\u200b-db', host: ORDERS_HOST }], { defaultAccountId: ACCOUNT }).join(),
      /targets\[0\] "orders\\u200b-db": name .* other than printable ASCII/);
    assert.match(targetProblems([{ name: 'orders', host: ORDERS_HOST, user: 'read er' }], { defaultAccountId: ACCOUNT }).join(),
      /user "read er" has spaces or control characters/);
    assert.match(targetProblems([{ name: 'orders', host: ORDERS_HOST, database: 'postgres\n' }], { defaultAccountId: ACCOUNT }).join(),
      /database "postgres\\n" has spaces or control characters/);
    assert.deepEqual(targetProblems([{ name: 'orders db (eu)', host: ORDERS_HOST }], { defaultAccountId: ACCOUNT }), []);
  });
});

describe('valid targets', () => {
  it('pass with every field set, and render in the function\'s snake_case', () => {
    const target = {
      name: 'orders',
      host: ORDERS_HOST.toUpperCase(),
      region: 'us-east-1',
      user: 'app',
      database: 'postgres',
      port: 5432,
      accountId: ACCOUNT.toUpperCase(),
      caching: { maxAge: 60, staleWhileRevalidate: 15 },
      originConnectionLimit: 5,
      clusterArn: 'arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz',
    };
    assert.deepEqual(targetProblems([target]), []);
    assert.deepEqual(functionTarget(target), {
      name: 'orders',
      host: ORDERS_HOST.toUpperCase(),
      region: 'us-east-1',
      user: 'app',
      database: 'postgres',
      port: 5432,
      account_id: ACCOUNT.toUpperCase(),
      caching: { max_age: 60, stale_while_revalidate: 15 },
      origin_connection_limit: 5,
    });
  });

  it('treat null as unset, as the function does, and leave it out of HYPERDRIVE_TARGETS', () => {
    const target = { name: 'orders', host: ORDERS_HOST, user: null, caching: { disabled: true, maxAge: null } };
    assert.deepEqual(targetProblems([target], { defaultAccountId: ACCOUNT }), []);
    assert.deepEqual(functionTarget(target as never), { name: 'orders', host: ORDERS_HOST, caching: { disabled: true } });
  });

  it('accept a host that is not a DSQL endpoint when the region and the cluster ARN are given', () => {
    assert.deepEqual(
      targetProblems(
        [{ name: 'a', host: 'db.example.com', region: 'us-east-1', clusterArn: 'arn:aws:dsql:us-east-1:111122223333:cluster/abc' }],
        { defaultAccountId: ACCOUNT },
      ),
      [],
    );
  });

  it('are not checked where a value is only known at deploy time', () => {
    assert.deepEqual(
      targetProblems([{ name: Token.asString({ Ref: 'Name' }), host: ORDERS_HOST, port: Token.asNumber({ Ref: 'Port' }) }], {
        defaultAccountId: ACCOUNT,
      }),
      [],
    );
  });

  it('may share a name across Cloudflare accounts, not within one', () => {
    const other = 'f'.repeat(32);
    assert.deepEqual(
      targetProblems([{ name: 'a', host: ORDERS_HOST }, { name: 'a', host: ORDERS_HOST, accountId: other }], {
        defaultAccountId: ACCOUNT,
      }),
      [],
    );
    assert.equal(
      targetProblems([{ name: 'a', host: ORDERS_HOST }, { name: 'a', host: ORDERS_HOST, accountId: ACCOUNT.toUpperCase() }], {
        defaultAccountId: ACCOUNT,
      }).length,
      1,
    );
  });
});
