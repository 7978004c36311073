import { createCipheriv, randomBytes } from 'node:crypto';
import { aadFor, SecretBox } from '../../src/secrets';

/**
 * Secrets at rest (issue 15 item 6): AES-256-GCM bound to `<uuid>:<field>`, 16-byte tags only, a
 * key id in every sealed value, a keyring for rotation, and the v1 values of before still open.
 */

const K0 = { id: 'k0', key: Buffer.alloc(32, 1) };
const K1 = { id: 'k1', key: Buffer.alloc(32, 2) };
const UUID = '01234567-89ab-cdef-0123-456789abcdef';
const OTHER = 'fedcba98-7654-3210-fedc-ba9876543210';

/** What the service sealed before: v1.<iv>.<tag>.<data>, no AAD. */
function sealV1(key: Buffer, plain: string, tagLength = 16): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagLength });
  const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
}

describe('sealed values', () => {
  it('are v2.<key id>.<iv>.<tag>.<data> with a 16-byte tag, and open with the same AAD', () => {
    const box = new SecretBox([K0]);
    const sealed = box.sealField(UUID, 'herokuTokensSealed', { accessToken: 'tok-123' });
    const [v, kid, iv, tag, data] = sealed.split('.');
    expect([v, kid]).toEqual(['v2', 'k0']);
    expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
    expect(data.length).toBeGreaterThan(0);
    expect(sealed).not.toContain('tok-123');
    expect(box.openField(UUID, 'herokuTokensSealed', sealed)).toEqual({ accessToken: 'tok-123' });
  });

  it("are bound to their add-on and field: another add-on's record or another field does not open them", () => {
    const box = new SecretBox([K0]);
    const sealed = box.sealField(UUID, 'herokuTokensSealed', { accessToken: 'tok-123' });
    expect(() => box.openField(OTHER, 'herokuTokensSealed', sealed)).toThrow();
    expect(() => box.openField(UUID, 'oauthGrantSealed', sealed)).toThrow();
    expect(aadFor(UUID, 'oauthGrantSealed')).toBe(`${UUID}:oauthGrantSealed`);
  });

  it('a short tag is refused, even the true first bytes of the right tag (GCM would take them)', () => {
    const box = new SecretBox([K0]);
    const sealed = box.seal('tok-123', 'a');
    const parts = sealed.split('.');
    for (const bytes of [4, 8, 12, 15]) {
      const cut = [...parts];
      cut[3] = Buffer.from(parts[3], 'base64url').subarray(0, bytes).toString('base64url');
      expect(() => box.open(cut.join('.'), 'a')).toThrow(/short authentication tag/);
    }
    // and in the legacy format too: a v1 value made with a 4-byte tag
    expect(() => box.open(sealV1(K0.key, 'x', 4), '')).toThrow(/short authentication tag/);
  });

  it('a tampered value, IV or key id does not open', () => {
    const box = new SecretBox([K1, K0]);
    const sealed = box.seal('tok-123', 'a');
    const parts = sealed.split('.');
    const flip = (i: number) => {
      const p = [...parts];
      const b = Buffer.from(p[i], 'base64url');
      b[0] ^= 1;
      p[i] = b.toString('base64url');
      return p.join('.');
    };
    expect(() => box.open(flip(2), 'a')).toThrow();
    expect(() => box.open(flip(3), 'a')).toThrow();
    expect(() => box.open(flip(4), 'a')).toThrow();
    expect(() => box.open(['v2', 'k0', ...parts.slice(2)].join('.'), 'a')).toThrow();
    expect(() => box.open(['v2', 'k9', ...parts.slice(2)].join('.'), 'a')).toThrow(/"k9", which is not in the keyring/);
  });

  it('v1 values of before still open (any key of the ring), and are not current', () => {
    const legacy = sealV1(K0.key, '{"code":"grant-1"}');
    const ring = new SecretBox([K1, K0]);
    expect(ring.openJson(legacy, aadFor(UUID, 'oauthGrantSealed'))).toEqual({ code: 'grant-1' });
    expect(ring.isCurrent(legacy)).toBe(false);
    expect(() => new SecretBox([K1]).open(legacy, '')).toThrow();
  });
});

describe('rotation with a keyring (newest first)', () => {
  it('the newest key seals; every key opens what it sealed; a ring without the key cannot', () => {
    const old = new SecretBox([K0]);
    const ring = new SecretBox([K1, K0]);
    const before = old.sealField(UUID, 'herokuTokensSealed', { t: 1 });
    const after = ring.sealField(UUID, 'herokuTokensSealed', { t: 2 });
    expect(after.split('.')[1]).toBe('k1');
    expect(ring.currentKeyId).toBe('k1');
    expect(ring.openField(UUID, 'herokuTokensSealed', before)).toEqual({ t: 1 });
    expect(ring.isCurrent(before)).toBe(false);
    expect(ring.isCurrent(after)).toBe(true);
    expect(() => old.openField(UUID, 'herokuTokensSealed', after)).toThrow(/"k1"/);
  });

  it('refuses keys of the wrong size and ids that would break the format', () => {
    expect(() => new SecretBox([{ id: 'k0', key: Buffer.alloc(31) }])).toThrow(/32-byte/);
    expect(() => new SecretBox([{ id: 'k.0', key: Buffer.alloc(32) }])).toThrow(/ids/);
    expect(() => new SecretBox([])).toThrow();
  });
});
