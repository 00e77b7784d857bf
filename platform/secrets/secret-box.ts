import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.ts';
import type { Config } from '../config.ts';

// Secrets at rest (bridge passwords, client secrets, provisioning passwords) are sealed with
// AES-256-GCM under one key from config; the stored form is `v1.<iv>.<tag>.<ciphertext>` (base64url).
export type SecretBox = {
  seal(plaintext: string): string;
  open(sealed: string): string;
};

const KEY_FILE = 'secret.key';

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new AppError('CONFIG_INVALID', 'SWITCHBOARD_SECRET_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32).');
  return {
    seal(plaintext) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, iv, tag, ciphertext] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new AppError('INTERNAL', 'A stored secret is not in the expected format.');
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new AppError('INTERNAL', 'A stored secret cannot be decrypted: the secret key differs from the one it was sealed with.');
      }
    },
  };
}

/**
 * The key: SWITCHBOARD_SECRET_KEY when set; in embedded mode otherwise a key generated once into
 * the data directory (mode 0600). PostgreSQL installs must set it, so that every instance agrees.
 */
export function loadSecretKey(config: Config): Buffer {
  if (config.secretKey) return Buffer.from(config.secretKey, 'base64');
  if (!config.embedded) {
    throw new AppError('CONFIG_INVALID', 'SWITCHBOARD_SECRET_KEY is required with DATABASE_URL (every instance must use the same key). Generate one with: openssl rand -base64 32');
  }
  const keyPath = path.join(config.dataDir, KEY_FILE);
  if (fs.existsSync(keyPath)) return Buffer.from(fs.readFileSync(keyPath, 'utf8').trim(), 'base64');
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const key = crypto.randomBytes(32);
  fs.writeFileSync(keyPath, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}
