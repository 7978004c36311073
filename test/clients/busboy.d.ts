/**
 * The part of busboy (multer's multipart parser, already installed) that test/clients/helpers.ts
 * uses to read the form fields of a multipart request a client sends.
 */
declare module 'busboy' {
  import type { Writable, Readable } from 'node:stream';

  interface BusboyConfig {
    headers: Record<string, string | string[] | number | undefined>;
  }
  interface Busboy extends Writable {
    on(event: 'field', listener: (name: string, value: string) => void): this;
    on(event: 'file', listener: (name: string, stream: Readable, info: { filename?: string }) => void): this;
    on(event: 'close', listener: () => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
  }
  function busboy(config: BusboyConfig): Busboy;
  export = busboy;
}
