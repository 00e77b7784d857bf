// CMS serves its API over HTTPS with whatever certificate the Web Admin has; the lab generates a
// self-signed one on first run and keeps it in a directory so clients can pin it between runs.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export type TlsMaterial = { key: string; cert: string };

export async function loadOrCreateCertificate(dir: string, hostnames: string[] = ['localhost']): Promise<TlsMaterial> {
  const keyPath = join(dir, 'cms-lab-key.pem');
  const certPath = join(dir, 'cms-lab-cert.pem');
  try {
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
  } catch {
    // first run: fall through and generate
  }
  await mkdir(dir, { recursive: true });
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
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert);
  return { key: pems.private, cert: pems.cert };
}
