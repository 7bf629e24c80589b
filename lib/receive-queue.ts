// Receive backpressure for the faces that are read at their reader's pace (connect()'s
// async iterator, WebSocketStream's readable): the received messages wait here, and
// while more than the highWaterMark waits, reading from the network stops; it starts
// again once the reader has taken half of it. The one place for that rule and its default.
import type { ErrorFactory } from './validate';

/** How much may wait unread before reading from the network stops (the first limit reached counts). */
export interface HighWaterMark {
  /** Bytes of unread messages (their payload). Default 1 MiB. */
  bytes?: number;
  /** Unread messages. Default 1024. */
  messages?: number;
}

/** A highWaterMark option: a number of bytes, or { bytes?, messages? }. Infinity: no limit. */
export type HighWaterMarkOption = number | HighWaterMark;

export const DEFAULT_HIGH_WATER_MARK: Readonly<Required<HighWaterMark>> = Object.freeze({
  bytes: 1024 * 1024,
  messages: 1024,
});

/** What a queue over its mark does to the connection. */
export interface ReceiveFlow {
  pauseReading(): void;
  resumeReading(): void;
}

function limit(name: string, value: unknown, fallback: number, fail: ErrorFactory): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 1 || (!Number.isInteger(value) && value !== Infinity)) {
    throw fail(`${name} must be a positive integer or Infinity; got ${String(value)}.`, 'range');
  }
  return value;
}

/** The checked limits of a highWaterMark option (absent: the defaults). */
export function highWaterMark(value: unknown, fail: ErrorFactory): Required<HighWaterMark> {
  if (value === undefined) return { ...DEFAULT_HIGH_WATER_MARK };
  if (typeof value === 'number') {
    return { bytes: limit('highWaterMark', value, 0, fail), messages: DEFAULT_HIGH_WATER_MARK.messages };
  }
  if (typeof value !== 'object' || value === null) {
    throw fail('highWaterMark must be a number of bytes or { bytes?, messages? }.', 'type');
  }
  for (const name of Object.keys(value)) {
    if (name !== 'bytes' && name !== 'messages') throw fail(`highWaterMark.${name} is not supported; use bytes and messages.`, 'type');
  }
  const mark = value as HighWaterMark;
  return {
    bytes: limit('highWaterMark.bytes', mark.bytes, DEFAULT_HIGH_WATER_MARK.bytes, fail),
    messages: limit('highWaterMark.messages', mark.messages, DEFAULT_HIGH_WATER_MARK.messages, fail),
  };
}

/** Received messages in order, waiting for their reader. */
export class ReceiveQueue<T> {
  readonly #mark: Required<HighWaterMark>;
  readonly #flow: ReceiveFlow;
  #items: Array<{ item: T; bytes: number } | undefined> = [];
  #head = 0;
  #bytes = 0;
  #paused = false;

  constructor(mark: Required<HighWaterMark>, flow: ReceiveFlow) {
    this.#mark = mark;
    this.#flow = flow;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Bytes of the messages waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  push(item: T, bytes: number): void {
    this.#items.push({ item, bytes });
    this.#bytes += bytes;
    if (!this.#paused && (this.#bytes > this.#mark.bytes || this.length > this.#mark.messages)) {
      this.#paused = true;
      this.#flow.pauseReading();
    }
  }

  shift(): T | undefined {
    const entry = this.#items[this.#head];
    if (entry === undefined) return undefined;
    this.#items[this.#head] = undefined;  // the reader has it: do not keep it alive
    this.#head += 1;
    this.#bytes -= entry.bytes;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);  // the reader took most: drop what it took
      this.#head = 0;
    }
    if (this.#paused && this.#bytes <= this.#mark.bytes / 2 && this.length <= this.#mark.messages / 2) {
      this.#paused = false;
      this.#flow.resumeReading();
    }
    return entry.item;
  }

  /** Forgets the waiting messages (reading resumes). */
  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    if (this.#paused) {
      this.#paused = false;
      this.#flow.resumeReading();
    }
  }
}
