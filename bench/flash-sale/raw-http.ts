/**
 * The bench's lean HTTP/1.1 client: a keep-alive TCP connection that writes a request built
 * once as one buffer and reads the answer by Content-Length, one request at a time. What wrk
 * and autocannon do, so that the load processes, which share the machine's two cores with the
 * server, spend a small part of what the server does per request (undici spends about as much
 * as the server: bench/flash-sale's `--client undici` shows it in the same run).
 *
 * Only what a Fastify JSON answer needs: a status line, headers with Content-Length, a body.
 * Anything else (chunked bodies, 1xx, a closed socket) fails the request loudly.
 */
import net from 'node:net';

export interface RawAnswer {
  status: number;
  body: Buffer;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** `GET`/`POST` request bytes for a keep-alive connection to `host`. */
export function buildRequest(
  method: 'GET' | 'POST',
  host: string,
  path: string,
  headers: Record<string, string>,
  body: string | null,
): Buffer {
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (body === null) return Buffer.from(`${head}\r\n`, 'latin1');
  const payload = Buffer.from(body, 'utf8');
  return Buffer.concat([
    Buffer.from(
      `${head}content-type: application/json\r\ncontent-length: ${payload.length}\r\n\r\n`,
      'latin1',
    ),
    payload,
  ]);
}

/** Content-Length of a header block (latin1), or -1 when it has none. */
function contentLength(head: string): number {
  const lower = head.toLowerCase();
  if (lower.includes('\r\ntransfer-encoding:')) return -2;
  const at = lower.indexOf('\r\ncontent-length:');
  if (at < 0) return -1;
  const end = lower.indexOf('\r\n', at + 2);
  return Number(lower.slice(at + 17, end < 0 ? undefined : end).trim());
}

export class RawConnection {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (a: RawAnswer) => void; reject: (e: Error) => void } | null = null;
  private closedWith: Error | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const close = (err?: Error) => {
      this.closedWith ??= err ?? new Error('connection closed');
      this.waiting?.reject(this.closedWith);
      this.waiting = null;
    };
    socket.on('error', close);
    socket.on('close', () => close());
  }

  static open(host: string, port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Writes a request and resolves with its answer; one at a time per connection. */
  send(request: Buffer): Promise<RawAnswer> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.waiting) return Promise.reject(new Error('a request is already in flight'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.end();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const headEnd = this.buffered.indexOf(CRLFCRLF);
    if (headEnd < 0) return;
    const head = this.buffered.toString('latin1', 0, headEnd);
    const length = contentLength(head);
    if (length < 0) {
      this.fail(new Error(length === -2 ? 'chunked answers are not supported' : 'no length'));
      return;
    }
    const total = headEnd + 4 + length;
    if (this.buffered.length < total) return;
    const status = Number(head.slice(9, 12));
    const body = this.buffered.subarray(headEnd + 4, total);
    this.buffered = this.buffered.length > total ? this.buffered.subarray(total) : Buffer.alloc(0);
    const waiting = this.waiting;
    this.waiting = null;
    if (!waiting) {
      this.fail(new Error(`an answer nobody asked for (${status})`));
      return;
    }
    waiting.resolve({ status, body });
  }

  private fail(err: Error): void {
    this.closedWith = err;
    this.waiting?.reject(err);
    this.waiting = null;
    this.socket.destroy(err);
  }
}
