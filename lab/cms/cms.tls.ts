// CMS serves its API over HTTPS with whatever certificate the Web Admin has; the lab generates a
// self-signed one on first run and keeps it in a directory so clients can pin it between runs. A
// node whose certificate was rotated (the Lab's knob: a renewed certificate) has its own, kept there
// under the node's name.
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export type TlsMaterial = { key: string; cert: string };

export const fingerprintOf = (material: TlsMaterial) => new X509Certificate(material.cert).fingerprint256;

/** The certificate saved in `dir` under `basename`, if any. */
export async function loadCertificate(dir: string, basename = 'cms-lab'): Promise<TlsMaterial | undefined> {
  try {
    return { key: await readFile(join(dir, `${basename}-key.pem`), 'utf8'), cert: await readFile(join(dir, `${basename}-cert.pem`), 'utf8') };
  } catch {
    return undefined;
  }
}

export async function saveCertificate(dir: string, basename: string, material: TlsMaterial): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${basename}-key.pem`), material.key, { mode: 0o600 });
  await writeFile(join(dir, `${basename}-cert.pem`), material.cert);
}

/** A new self-signed server certificate for these host names (the first is its common name). */
export async function generateCertificate(hostnames: string[] = ['localhost']): Promise<TlsMaterial> {
  const altNames = hostnames.map((name) => (/^[\d.]+$/.test(name) || name.includes(':') ? { type: 7 as const, ip: name } : { type: 2 as const, value: name }));
  if (!hostnames.includes('127.0.0.1')) altNames.push({ type: 7, ip: '127.0.0.1' });
  const pems = await generate([{ name: 'commonName', value: hostnames[0] ?? 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

export async function loadOrCreateCertificate(dir: string, hostnames: string[] = ['localhost'], basename = 'cms-lab'): Promise<TlsMaterial> {
  const saved = await loadCertificate(dir, basename);
  if (saved) return saved;
  const material = await generateCertificate(hostnames);
  await saveCertificate(dir, basename, material);
  return material;
}
