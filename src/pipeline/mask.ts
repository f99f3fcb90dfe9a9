// Secret masking: every registered value (and its base64 form) is replaced by *** in log output.
// The writer masks whole lines, so a secret split across two chunks is still caught.
import { Writable } from 'node:stream';

export class Masker {
  private values: string[] = [];

  /** Registers a secret value (values shorter than 3 characters would mask too much and are refused). */
  add(value: string): void {
    for (const v of [value, value.trim(), Buffer.from(value).toString('base64')]) {
      if (v.length < 3 || this.values.includes(v)) continue;
      this.values.push(v);
    }
    // multi-line secrets (PEM keys) are also masked line by line
    for (const line of value.split('\n'))
      if (line.trim().length >= 8 && !this.values.includes(line.trim())) this.values.push(line.trim());
    this.values.sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join('***');
    return out;
  }

  get size(): number {
    return this.values.length;
  }
}

/** A line-buffered writable that masks each line and hands it on. `end()` flushes a last partial line. */
export class MaskedLineWriter extends Writable {
  private pending = '';
  constructor(
    private readonly masker: Masker,
    private readonly sink: (text: string) => void,
  ) {
    super({ decodeStrings: false });
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const nl = this.pending.lastIndexOf('\n');
    if (nl >= 0) {
      const lines = this.pending.slice(0, nl + 1);
      this.pending = this.pending.slice(nl + 1);
      this.sink(this.masker.mask(lines));
    }
    cb();
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.flushPartial();
    cb();
  }
  /** Writes out a partial last line (at the end of a process). */
  flushPartial(): void {
    if (this.pending) {
      this.sink(this.masker.mask(this.pending) + '\n');
      this.pending = '';
    }
  }
}
