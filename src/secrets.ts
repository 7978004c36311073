import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets at rest (the OAuth grant, the Heroku tokens, the log input URL, the
 * origin secret, a new API key until it is shown).
 *
 * Sealed format: `v2.<key id>.<iv>.<tag>.<data>` (base64url parts; 12-byte IV, 16-byte tag). The
 * additional authenticated data is `<uuid>:<field>`, so a sealed value copied into another add-on's
 * record, or into another field, does not open. Tags of any other length than 16 bytes are
 * refused. The keyring is newest first: the first key seals, any key opens (by its id), which is
 * what a rotation needs (`npm run reseal` then moves every record to the newest key).
 *
 * `v1.<iv>.<tag>.<data>` values (no key id, no AAD) from before still open, with any key.
 */

export interface SealingKey {
  id: string;
  key: Buffer;
}

/** The record fields that hold sealed values (part of each value's AAD). */
export type SealedField = 'oauthGrantSealed' | 'herokuTokensSealed' | 'logInputUrlSealed' | 'webhookSecretsSealed' | 'originSecretSealed' | 'keyRevealSealed';

const TAG_BYTES = 16;
const IV_BYTES = 12;

export class SecretBox {
  // IVs come from a pool of CSPRNG bytes refilled 256 at a time: one randomBytes call per IV was a
  // measurable share of the accept path. Each IV is still 96 fresh random bits, never reused.
  private pool = Buffer.alloc(0);
  private offset = 0;
  private readonly keys: readonly SealingKey[];

  /** A keyring, newest first; a bare 32-byte key is a ring of one (id `k0`). */
  constructor(keys: Buffer | readonly SealingKey[]) {
    this.keys = Buffer.isBuffer(keys) ? [{ id: 'k0', key: keys }] : keys;
    if (!this.keys.length) throw new Error('SecretBox needs at least one key');
    for (const k of this.keys) {
      if (k.key.length !== 32) throw new Error('SecretBox needs 32-byte keys');
      if (!/^[A-Za-z0-9_-]{1,16}$/.test(k.id)) throw new Error('SecretBox key ids are 1-16 of A-Z a-z 0-9 _ -');
    }
  }

  /** The id of the key that seals. */
  get currentKeyId(): string {
    return this.keys[0].id;
  }

  private nextIv(): Buffer {
    if (this.offset + IV_BYTES > this.pool.length) {
      this.pool = randomBytes(IV_BYTES * 256);
      this.offset = 0;
    }
    const iv = this.pool.subarray(this.offset, this.offset + IV_BYTES);
    this.offset += IV_BYTES;
    return iv;
  }

  seal(plain: string, aad: string): string {
    const { id, key } = this.keys[0];
    const iv = this.nextIv();
    const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    c.setAAD(Buffer.from(aad, 'utf8'));
    const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return ['v2', id, iv.toString('base64url'), c.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  open(sealed: string, aad: string): string {
    const parts = typeof sealed === 'string' ? sealed.split('.') : [];
    if (parts[0] === 'v2' && parts.length === 5) {
      const [, id, iv, tag, data] = parts;
      const k = this.keys.find((x) => x.id === id);
      if (!k) throw new Error(`sealed with key "${id}", which is not in the keyring`);
      return decrypt(k.key, iv, tag, data, aad);
    }
    if (parts[0] === 'v1' && parts.length === 4) {
      const [, iv, tag, data] = parts;
      let last: unknown;
      for (const k of this.keys) {
        try {
          return decrypt(k.key, iv, tag, data);
        } catch (err) {
          last = err;
        }
      }
      throw last instanceof Error ? last : new Error('not a sealed value');
    }
    throw new Error('not a sealed value');
  }

  /** Whether a sealed value is already under the newest key in the current format. */
  isCurrent(sealed: string): boolean {
    return sealed.startsWith(`v2.${this.keys[0].id}.`);
  }

  sealJson(v: unknown, aad: string): string {
    return this.seal(JSON.stringify(v), aad);
  }

  openJson<T>(sealed: string, aad: string): T {
    return JSON.parse(this.open(sealed, aad)) as T;
  }

  /** Seals the JSON of a record field's value, bound to that add-on and field. */
  sealField(uuid: string, field: SealedField, value: unknown): string {
    return this.sealJson(value, aadFor(uuid, field));
  }

  openField<T>(uuid: string, field: SealedField, sealed: string): T {
    return this.openJson<T>(sealed, aadFor(uuid, field));
  }
}

/** The AAD of a record's sealed field: `<uuid>:<field>`. */
export function aadFor(uuid: string, field: SealedField): string {
  return `${uuid}:${field}`;
}

function decrypt(key: Buffer, iv64: string, tag64: string, data64: string, aad?: string): string {
  const iv = Buffer.from(iv64, 'base64url');
  const tag = Buffer.from(tag64, 'base64url');
  if (iv.length !== IV_BYTES) throw new Error('sealed value has a malformed IV');
  // GCM would accept a tag cut to 4 bytes (forgeable by trial); only the full tag is taken
  if (tag.length !== TAG_BYTES) throw new Error('sealed value has a short authentication tag');
  const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  if (aad !== undefined) d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(tag);
  return Buffer.concat([d.update(Buffer.from(data64, 'base64url')), d.final()]).toString('utf8');
}
