// The message size limit against a frame whose payload arrives after its header, in its own
// file: it crashed the process (heap corruption) in the first native runs, and a crash takes
// every other case of its file with it.
import { describe, expect } from 'vitest';
import { WAIT_MS, details, payload, useHarness, verdictFail } from './harness';
import { frame } from './raw-server';

const h = useHarness();

describe('F3 maximum message size, streamed payloads', () => {
  h.test('F3.4 over the limit is detected from the header: 1009 before the payload is sent', async () => {
    const { conn, client } = await h.open({ echo: true, maxPayload: 1024 });
    const whole = frame.binary(payload(100000));
    await conn.write(whole.subarray(0, 10));
    await conn.until(() => conn.closeFrame !== null, WAIT_MS);
    const before = conn.closeFrame?.code ?? 'nothing before the payload';
    await conn.write(whole.subarray(10));
    expect(before, details(conn, client)).toBe(1009);
  });

  h.test('F3.5 a 100,000-byte frame with maxPayload 1024, written at once: 1009', async () => {
    const { conn, client } = await h.open({ echo: true, maxPayload: 1024 });
    await conn.write(frame.binary(payload(100000)));
    await verdictFail(conn, client, 1009);
  });
});
