// Conformance 7.12: how the TCP connection ends after a completed closing handshake, and
// whether the client keeps a lingering socket for it (native/core/socket_linger). The cases
// run one at a time: they count the process's lingering sockets.
import { describe, expect } from 'vitest';
import { addon } from '../../lib/binding';
import { WAIT_MS, useHarness } from './harness';
import { frame, sleep } from './raw-server';

const h = useHarness({ sequential: true });

// A close the peer answered needs no lingering socket (native/core/socket_linger): our close
// frame has reached it, and it sends nothing after its answer, so what waits unread is read
// and the socket closes with a FIN, never a reset, whether or not the server has closed TCP
// yet. When the server closes first, the client's answer must reach it, so the socket still
// lingers until the server closes TCP (a server that writes on after its close frame would
// otherwise get a reset before it read the answer: fuzz seed 29).
describe('7.12 the end of a completed closing handshake', () => {
  const lingering = () => addon.liveCounts().lingeringSockets;

  h.test('7.12.1 the client closes, the server answers and keeps TCP open: a FIN follows, nothing lingers (20 attempts)', async () => {
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const { conn, client } = await h.open();
      client.close(1000, 'done');
      await conn.until(() => conn.closeFrame !== null, WAIT_MS);
      await conn.write(frame.close(1000, 'done'));
      await client.until(() => client.closed, WAIT_MS);
      const lingeringAtClose = lingering();
      await conn.until(() => !conn.tcpOpen, WAIT_MS);
      const close = client.first('close');
      outcomes.push(`close ${close?.code} clean ${close?.wasClean}, tcp ${conn.tcp}, lingering ${lingeringAtClose}`);
    }
    expect(outcomes.filter((o) => o !== 'close 1000 clean true, tcp closed by client, lingering 0')).toEqual([]);
  }, 60000);

  h.test('7.12.2 the server closes and ends TCP at once: the client answers, no reset, nothing left lingering (20 attempts)', async () => {
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const { conn, client } = await h.open();
      await conn.write(frame.close(4001, 'bye'));
      await conn.until(() => conn.closeFrame !== null, WAIT_MS);
      conn.end();
      await client.until(() => client.closed, WAIT_MS);
      await conn.until(() => !conn.tcpOpen, WAIT_MS);
      await client.until(() => lingering() === 0, WAIT_MS);
      const close = client.first('close');
      outcomes.push(`close ${close?.code} clean ${close?.wasClean}, reply ${conn.closeFrame?.code}, reset ${conn.tcp === 'reset by client'}, lingering ${lingering()}`);
    }
    expect(outcomes.filter((o) => o !== 'close 4001 clean true, reply 4001, reset false, lingering 0')).toEqual([]);
  }, 60000);

  h.test('7.12.3 the client closes, the server answers, then keeps writing (a violation): the client lingers, no reset', async () => {
    const { conn, client } = await h.open();
    client.close(1000, '');
    await conn.until(() => conn.closeFrame !== null, WAIT_MS);
    // Bytes behind the close frame, in the same write and after it: the client reads and
    // drops them, then lingers while more may come (it sends a FIN, not a reset).
    await conn.write(Buffer.concat([frame.close(1000), Buffer.alloc(64 * 1024, 0x41)]));
    const writer = setInterval(() => { if (conn.tcpOpen) conn.socket.write(Buffer.alloc(1024, 0x42)); }, 1);
    await client.until(() => client.closed, WAIT_MS);
    clearInterval(writer);
    await conn.until(() => !conn.tcpOpen, WAIT_MS);
    expect({ close: client.first('close')?.code, clean: client.first('close')?.wasClean, tcp: conn.tcp }).toEqual({
      close: 1000, clean: true, tcp: 'closed by client',
    });
  }, 60000);

  h.test('7.12.4 the server closes, then writes on without reading for a while (a violation): it still reads the client\'s answer (20 attempts)', async () => {
    // The server reads nothing for 50 ms while it writes every millisecond. A client that
    // closed at once would answer those writes with a reset: the server's next write fails
    // and its socket is destroyed with the answer still unread (fuzz seed 29). A lingering
    // client reads and drops them, and the server reads the answer when it reads again.
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const { conn, client } = await h.open();
      conn.socket.pause();
      await conn.write(frame.close(4002, 'going'));
      const writer = setInterval(() => { if (conn.tcpOpen) conn.socket.write(Buffer.from([0x8a, 0x00])); }, 1);
      await client.until(() => client.closed, WAIT_MS);
      await sleep(50);
      clearInterval(writer);
      conn.socket.resume();
      await conn.until(() => conn.closeFrame !== null || !conn.tcpOpen, WAIT_MS);
      if (conn.tcpOpen) conn.end();
      outcomes.push(`close ${client.first('close')?.code}, reply ${conn.closeFrame?.code ?? 'none'}, reset ${conn.tcp === 'reset by client'}`);
      await client.until(() => lingering() === 0, WAIT_MS);
    }
    expect(outcomes.filter((o) => o !== 'close 4002, reply 4002, reset false')).toEqual([]);
  }, 60000);
});
