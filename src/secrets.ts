import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** AES-256-GCM for secrets at rest (OAuth grant, Heroku tokens). Output: v1.<iv>.<tag>.<data>, base64url. */
export class SecretBox {
  // IVs come from a pool of CSPRNG bytes refilled 256 at a time: one randomBytes call per IV was a
  // measurable share of the accept path. Each IV is still 96 fresh random bits, never reused.
  private pool = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  private nextIv(): Buffer {
    if (this.offset + 12 > this.pool.length) {
      this.pool = randomBytes(12 * 256);
      this.offset = 0;
    }
    const iv = this.pool.subarray(this.offset, this.offset + 12);
    this.offset += 12;
    return iv;
  }

  seal(plain: string): string {
    const iv = this.nextIv();
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [v, iv, tag, data] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed value');
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(data, 'base64url')), d.final()]).toString('utf8');
  }

  sealJson(v: unknown): string {
    return this.seal(JSON.stringify(v));
  }

  openJson<T>(sealed: string): T {
    return JSON.parse(this.open(sealed)) as T;
  }
}
