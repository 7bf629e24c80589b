// What send() accepts, turned into what the engine sends: strings go as text, binary data as
// binary (never by content), and received binary data in the form a face asks for.
import { utf8Length, toUSVString } from './validate';

/** Data send() accepts: text, or binary data as an ArrayBuffer, a view of one (Buffer,
 * TypedArray, DataView) or a Blob. */
export type SendData = string | ArrayBuffer | SharedArrayBuffer | ArrayBufferView | Blob;

export interface Payload {
  data: string | Uint8Array | Promise<Uint8Array>;
  isBinary: boolean;
  /** Size in bytes, for bufferedAmount. */
  size: number;
}

/** WebIDL's union conversion for send(): BufferSource and Blob as binary, anything else as text. */
export function toPayload(data: unknown, forceBinary?: boolean): Payload {
  if (typeof data === 'string') {
    const text = toUSVString(data);
    return { data: text, isBinary: forceBinary ?? false, size: utf8Length(text) };
  }
  if (data instanceof ArrayBuffer || isSharedArrayBuffer(data)) {
    const bytes = new Uint8Array(data);
    return { data: bytes, isBinary: forceBinary ?? true, size: bytes.byteLength };
  }
  if (ArrayBuffer.isView(data)) {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { data: bytes, isBinary: forceBinary ?? true, size: bytes.byteLength };
  }
  if (data instanceof Blob) {
    return { data: data.arrayBuffer().then((buffer) => new Uint8Array(buffer)), isBinary: forceBinary ?? true, size: data.size };
  }
  return toPayload(String(data), forceBinary);
}

function isSharedArrayBuffer(value: unknown): value is SharedArrayBuffer {
  return typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer;
}

/** The bytes of a Buffer as an ArrayBuffer of exactly that length (a copy unless the
 * Buffer already spans its whole ArrayBuffer). */
export function toArrayBuffer(data: Buffer): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = data;
  if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) return buffer;
  const copy = new ArrayBuffer(byteLength);
  new Uint8Array(copy).set(data);
  return copy;
}
