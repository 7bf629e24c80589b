// The error-code table has one source, the public C header (native/include/
// net_websocket_type.h): the addon's errorCodes, the OH_Websocket_ErrCodeName type of
// lib/native.ts and the C API part of lib/errors.ts's ErrorCode must say exactly what it says.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { addon } from '../../lib/binding';
import { ErrorCode } from '../../lib/errors';

const root = path.resolve(__dirname, '../..');

/** The enumerators of `typedef enum <name> { ... } <name>;`, values resolved (E_BASE + n, aliases). */
function headerEnum(text: string, name: string, known: Map<string, number>): Map<string, number> {
  const body = new RegExp(`typedef enum ${name} \\{([\\s\\S]*?)\\} ${name};`).exec(text)?.[1];
  if (body === undefined) throw new Error(`enum ${name} not found in the header`);
  const values = new Map<string, number>();
  let next = 0;
  for (const rawEntry of body.replace(/\/\*[\s\S]*?\*\//g, '').split(',')) {
    const entry = rawEntry.trim();
    if (entry === '') continue;
    const [enumerator, expression] = entry.split('=').map((part) => part.trim());
    let value = next;
    if (expression !== undefined) {
      const sum = /^\(?\s*(\w+)\s*\+\s*(\d+)\s*\)?$/.exec(expression);
      if (/^\d+$/.test(expression)) value = Number(expression);
      else if (sum) value = (values.get(sum[1]) ?? known.get(sum[1]) ?? NaN) + Number(sum[2]);
      else value = values.get(expression) ?? known.get(expression) ?? NaN;
    }
    expect(Number.isInteger(value), `${name}.${enumerator} = ${expression}`).toBe(true);
    values.set(enumerator, value);
    next = value + 1;
  }
  return values;
}

const header = fs.readFileSync(path.join(root, 'native/include/net_websocket_type.h'), 'utf8');
const draft = headerEnum(header, 'OH_Websocket_ErrCode', new Map());
const released = headerEnum(header, 'WebSocket_ErrCode', draft);
const everyName = new Map([...draft, ...released]);

describe('the error-code table, checked against the C header', () => {
  test('the header has both generations: 19 draft names, 15 released ones', () => {
    expect(draft.size).toBe(19);
    expect(released.size).toBe(15);
  });

  test("the addon's errorCodes are exactly the header's names and values", () => {
    expect(new Map(Object.entries(addon.errorCodes))).toEqual(everyName);
  });

  test("lib/native.ts's OH_Websocket_ErrCodeName lists exactly the header's names", () => {
    const source = fs.readFileSync(path.join(root, 'lib/native.ts'), 'utf8');
    const union = /export type OH_Websocket_ErrCodeName =([\s\S]*?);/.exec(source)?.[1] ?? '';
    const names = [...union.matchAll(/'(\w+)'/g)].map((match) => match[1]);
    expect(names.sort()).toEqual([...everyName.keys()].sort());
  });

  test("lib/errors.ts's C API codes are the released names (the draft one where no other was released)", () => {
    const expected = new Map<string, number>();
    const releasedByValue = new Map([...released].map(([name, value]) => [value, name]));
    for (const [name, value] of draft) {
      if (value > 1000) expected.set(releasedByValue.get(value) ?? name, value);
    }
    const cApiPart = Object.entries(ErrorCode).filter(([, value]) => value > 1000 && value < 2000);
    expect(new Map(cApiPart)).toEqual(expected);
  });
});
