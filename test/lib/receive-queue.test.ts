// The receive queue's rule (lib/receive-queue.ts): over the highWaterMark (bytes or messages)
// reading stops, at half of it reading resumes; and the option's checks, as connect() and
// WebSocketStream apply them.
import { describe, expect, test } from 'vitest';
import { connect, InvalidArgumentError, WebSocketStream } from '../../lib/index';
import { DEFAULT_HIGH_WATER_MARK, highWaterMark, ReceiveQueue } from '../../lib/receive-queue';

function recorder(): { calls: string[]; flow: { pauseReading(): void; resumeReading(): void } } {
  const calls: string[] = [];
  return { calls, flow: { pauseReading: () => calls.push('pause'), resumeReading: () => calls.push('resume') } };
}

describe('ReceiveQueue', () => {
  test('bytes: pauses once over the mark, resumes at half, in order', () => {
    const { calls, flow } = recorder();
    const queue = new ReceiveQueue<number>({ bytes: 100, messages: 1000 }, flow);
    for (let i = 0; i < 10; i += 1) queue.push(i, 10);
    expect(calls).toEqual([]);  // exactly at the mark
    queue.push(10, 10);
    expect(calls).toEqual(['pause']);
    queue.push(11, 10);
    expect(calls).toEqual(['pause']);
    const taken: number[] = [];
    while (queue.length > 7) taken.push(queue.shift()!);
    expect(calls).toEqual(['pause']);  // 70 bytes left
    taken.push(queue.shift()!, queue.shift()!);
    expect(calls).toEqual(['pause', 'resume']);  // 50 bytes: half
    for (let v = queue.shift(); v !== undefined; v = queue.shift()) taken.push(v);
    expect(taken).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(queue.bytes).toBe(0);
  });

  test('messages: the other limit; clear() resumes', () => {
    const { calls, flow } = recorder();
    const queue = new ReceiveQueue<string>({ bytes: Infinity, messages: 2 }, flow);
    queue.push('a', 0);
    queue.push('b', 0);
    queue.push('c', 0);
    expect(calls).toEqual(['pause']);
    queue.clear();
    expect(calls).toEqual(['pause', 'resume']);
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
  });

  test('a long queue read from its head keeps its order', () => {
    const queue = new ReceiveQueue<number>({ bytes: Infinity, messages: Infinity }, recorder().flow);
    const out: number[] = [];
    for (let i = 0; i < 5000; i += 1) {
      queue.push(i, 1);
      if (i % 3 === 0) out.push(queue.shift()!);
    }
    for (let v = queue.shift(); v !== undefined; v = queue.shift()) out.push(v);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});

describe('the highWaterMark option', () => {
  const fail = (message: string): Error => new InvalidArgumentError(message);

  test('defaults, a number of bytes, an object, Infinity', () => {
    expect(highWaterMark(undefined, fail)).toEqual(DEFAULT_HIGH_WATER_MARK);
    expect(DEFAULT_HIGH_WATER_MARK).toEqual({ bytes: 1024 * 1024, messages: 1024 });
    expect(highWaterMark(4096, fail)).toEqual({ bytes: 4096, messages: 1024 });
    expect(highWaterMark({ messages: 8 }, fail)).toEqual({ bytes: 1024 * 1024, messages: 8 });
    expect(highWaterMark({ bytes: Infinity, messages: Infinity }, fail)).toEqual({ bytes: Infinity, messages: Infinity });
  });

  test.each([0, -1, 1.5, NaN, '1', null, { bytes: 0 }, { messages: -2 }, { size: 1 }])('refused: %j', (value) => {
    expect(() => highWaterMark(value, fail)).toThrow(InvalidArgumentError);
    expect(() => connect('ws://127.0.0.1:1', { highWaterMark: value as never })).toThrow(InvalidArgumentError);
    expect(() => new WebSocketStream('ws://127.0.0.1:1', { highWaterMark: value as never })).toThrow(/highWaterMark/);
  });
});
