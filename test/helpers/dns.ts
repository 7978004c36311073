import type { HostResolver } from '../../src/clients/dns';

/**
 * A DNS stand-in: a table of names → addresses, as the public DNS answers them (nip.io and
 * sslip.io answer the address written in the name; localtest.me is 127.0.0.1). A name not in
 * the table does not exist (ENOTFOUND); `fail` makes a name's lookup fail this time (SERVFAIL).
 * The table can change between calls (DNS rebinding).
 */
export function tableResolver(table: Record<string, string[]>, fail: Record<string, string> = {}): HostResolver & { table: Record<string, string[]>; calls: string[] } {
  const calls: string[] = [];
  const resolve = (async (host: string) => {
    calls.push(host);
    if (fail[host]) throw Object.assign(new Error(`${host}: ${fail[host]}`), { code: fail[host] });
    const found = resolve.table[host];
    if (!found) throw Object.assign(new Error(`${host}: ENOTFOUND`), { code: 'ENOTFOUND' });
    return found;
  }) as HostResolver & { table: Record<string, string[]>; calls: string[] };
  resolve.table = table;
  resolve.calls = calls;
  return resolve;
}

/** What the public DNS answers for the hosts of issue 15 (and a few public ones). */
export const REAL_DNS: Record<string, string[]> = {
  '169.254.169.254.nip.io': ['169.254.169.254'],
  '127.0.0.1.nip.io': ['127.0.0.1'],
  'localtest.me': ['127.0.0.1'],
  '10.0.0.1.sslip.io': ['10.0.0.1'],
  'api.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
};
