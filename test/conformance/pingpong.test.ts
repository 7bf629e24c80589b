// Conformance, section 2: pings and pongs. Every ping is answered with a pong carrying the
// same payload, in order, before any data frame the application sends after the ping
// arrived; a ping of 126 bytes (control frames carry at most 125) fails the connection;
// unsolicited pongs are ignored.
import { describe, expect } from 'vitest';
import { details, payload, text, useHarness, verdictCleanClose, verdictFail } from './harness';
import { frame, opcodeName, sleep, type RawConnection } from './raw-server';

const h = useHarness();

describe('2 ping/pong', () => {
  h.test('2.1 ping without payload: empty pong', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.ping());
    await verdictCleanClose(conn, client, { pongs: [''] });
  });

  h.test('2.2 ping with a small text payload: pong echoes it', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.ping('Hello, world!'));
    await verdictCleanClose(conn, client, { pongs: ['Hello, world!'] });
  });

  h.test('2.3 ping with a binary payload: pong echoes it', async () => {
    const { conn, client } = await h.open();
    const data = Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]);
    await conn.write(frame.ping(data));
    await verdictCleanClose(conn, client, { pongs: [data] });
  });

  h.test('2.4 ping with 125 bytes of payload: pong echoes it', async () => {
    const { conn, client } = await h.open();
    const data = payload(125);
    await conn.write(frame.ping(data));
    await verdictCleanClose(conn, client, { pongs: [data] });
  });

  h.test('2.5 ping with 126 bytes of payload: fail (1002)', async () => {
    const { conn, client } = await h.open();
    await conn.write(frame.raw({ opcode: 0x9, payload: payload(126) }));
    await verdictFail(conn, client, 1002);
  });

  h.test('2.6 ping with 125 bytes, written 1 byte at a time: pong echoes it', async () => {
    const { conn, client } = await h.open();
    const data = payload(125);
    await conn.writeChopped(frame.ping(data), 1, 1);
    await verdictCleanClose(conn, client, { pongs: [data] });
  });

  h.test('2.7 unsolicited pong without payload: ignored', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.pong(), frame.text('still here')]));
    await verdictCleanClose(conn, client, { echoes: [text('still here')] });
  });

  h.test('2.8 unsolicited pong with payload: ignored', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.pong('unsolicited pong payload'), frame.text('still here')]));
    await verdictCleanClose(conn, client, { echoes: [text('still here')] });
  });

  h.test('2.8.1 a pong and a ping longer than maxPayload (16) count nothing against it', async () => {
    const { conn, client } = await h.open({ echo: true, maxPayload: 16 });
    await conn.write(Buffer.concat([frame.pong(payload(100)), frame.ping(payload(120)), frame.text('still here')]));
    await verdictCleanClose(conn, client, { pongs: [payload(120)], echoes: [text('still here')] });
  });

  h.test('2.9 unsolicited pong, then a ping: only the ping is answered', async () => {
    const { conn, client } = await h.open();
    await conn.write(Buffer.concat([frame.pong('unsolicited pong payload'), frame.ping('ping payload')]));
    await verdictCleanClose(conn, client, { pongs: ['ping payload'] });
  });

  // RFC 6455 5.5.3 lets a client answer only the most recent of several pings; the strictest
  // peers expect a pong for every ping, in order, and so does this suite.
  h.test('2.10 10 pings in one write: each answered, in order', async () => {
    const { conn, client } = await h.open();
    const payloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
    await conn.write(Buffer.concat(payloads.map((p) => frame.ping(p))));
    await verdictCleanClose(conn, client, { pongs: payloads });
  });

  // A ping owes its pong, also when the peer's close, or a violation, follows in the same
  // read: the pongs go before the client's close frame (lws sent the close first and dropped
  // them).
  h.test('2.10.1 3 pings and the close in one write: 3 pongs, then the close reply', async () => {
    const { conn, client } = await h.open();
    const payloads = ['a', 'b', 'c'];
    await conn.write(Buffer.concat([...payloads.map((p) => frame.ping(p)), frame.close(1000)]));
    await verdictCleanClose(conn, client, { pongs: payloads }, 1000, '', { closeAlreadySent: true });
  });

  h.test('2.10.2 3 pings and a violation in one write: 3 pongs, then close 1002', async () => {
    const { conn, client } = await h.open();
    const payloads = ['a', 'b', 'c'];
    await conn.write(Buffer.concat([...payloads.map((p) => frame.ping(p)), frame.raw({ opcode: 0x3, payload: 'x' })]));
    await verdictFail(conn, client, 1002, { pongs: payloads });
  });

  h.test('2.11 10 pings written 1 byte at a time: each answered, in order', async () => {
    const { conn, client } = await h.open();
    const payloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
    await conn.writeChopped(Buffer.concat(payloads.map((p) => frame.ping(p))), 1, 0);
    await verdictCleanClose(conn, client, { pongs: payloads });
  });

  h.test('2.12 ping with a 16-bit length form of 125 bytes (a control frame with extended length): fail (1002)', async () => {
    // RFC 6455 5.5: control frames MUST have a payload length of 125 bytes or less; the
    // 126/127 length forms are themselves over that limit.
    const { conn, client } = await h.open();
    await conn.write(frame.raw({ opcode: 0x9, payload: payload(125), lengthForm: 16 }));
    await verdictFail(conn, client, 1002);
  });

  h.test('2.13 200 pings of 125 bytes in one write, then a message: 200 pongs in order, then the echo', async () => {
    const { conn, client } = await h.open();
    const payloads = Array.from({ length: 200 }, (_, i) => Buffer.concat([Buffer.from(`ping-${i}-`), payload(125)]).subarray(0, 125));
    await conn.write(Buffer.concat([...payloads.map((p) => frame.ping(p)), frame.text('after the pings')]));
    await verdictCleanClose(conn, client, { pongs: payloads, echoes: [text('after the pings')] });
    expect(sentOrder(conn), details(conn, client)).toEqual([...payloads.map(() => 'pong'), 'text', 'close']);
  });

  // A ping is answered before any data frame the application sends after the ping arrived:
  // the echo of a message whose last fragment came after the ping must follow the pong.
  const pingInsideMessage: Array<[string, (conn: RawConnection) => Promise<void>]> = [
    ['the tail of a fragmented text, a ping and its last fragment in one write', async (conn) => {
      await conn.write(frame.text('frag1-', { fin: false }));
      await sleep(20);
      await conn.write(Buffer.concat([frame.cont('frag2-', { fin: false }), frame.ping('p'), frame.cont('frag3')]));
    }],
    ['a whole fragmented text with a ping before its last fragment, in one write', async (conn) => {
      await conn.write(Buffer.concat([frame.text('frag1-', { fin: false }), frame.cont('frag2-', { fin: false }), frame.ping('p'), frame.cont('frag3')]));
    }],
    ['the same, written 1 byte at a time', async (conn) => {
      await conn.writeChopped(Buffer.concat([frame.text('frag1-', { fin: false }), frame.cont('frag2-', { fin: false }), frame.ping('p'), frame.cont('frag3')]), 1, 0);
    }],
  ];
  pingInsideMessage.forEach(([what, send], i) => {
    h.test(`2.${i + 14} ${what}: the pong goes before the echo`, async () => {
      const { conn, client } = await h.open();
      await send(conn);
      await verdictCleanClose(conn, client, { pongs: ['p'], echoes: [text('frag1-frag2-frag3')] });
      expect(sentOrder(conn), details(conn, client)).toEqual(['pong', 'text', 'close']);
    });
  });
});

/** The opcodes of the frames the client sent, in order. */
function sentOrder(conn: RawConnection): string[] {
  return conn.frames.map((f) => opcodeName(f.opcode));
}
