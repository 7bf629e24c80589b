// The message size limit against a frame whose payload arrives after its header, in its own
// file: it crashed the process (heap corruption) in the first native runs, and a crash takes
// every other case of its file with it.
import { describe, expect } from 'vitest';
import { WAIT_MS, details, payload, text, useHarness, verdictCleanClose, verdictFail } from './harness';
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

  // A first fragment that fills the limit exactly leaves no room: the next non-empty one is
  // too big, whatever its bytes (lws read a room of 0 as no limit and failed this with 1007).
  h.test('F3.6 a text fragment filling maxPayload (1024) exactly, then one invalid UTF-8 byte: 1009', async () => {
    const { conn, client } = await h.open({ echo: true, maxPayload: 1024 });
    await conn.write(Buffer.concat([frame.text(Buffer.alloc(1024, 0x61), { fin: false }), frame.cont(Buffer.from([0xff]))]));
    await verdictFail(conn, client, 1009);
  });

  h.test('F3.7 the same with an empty last fragment: accepted', async () => {
    const { conn, client } = await h.open({ echo: true, maxPayload: 1024 });
    await conn.write(Buffer.concat([frame.text(Buffer.alloc(1024, 0x61), { fin: false }), frame.cont(Buffer.alloc(0))]));
    await verdictCleanClose(conn, client, { echoes: [text(Buffer.alloc(1024, 0x61))] });
  });
});
