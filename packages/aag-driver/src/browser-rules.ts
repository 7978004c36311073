import type { HttpReply } from './http';

/**
 * What a browser-facing answer of the service must carry, read from its headers and HTML. Each
 * function answers the problems it found (empty: none), in words for a check line.
 */

/** `Content-Security-Policy` as directive → sources (lower-cased names). */
export function parseCsp(header: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), sources);
  }
  return out;
}

/** The headers every page of the dashboard and sign-on carries; `https` adds HSTS. */
export function pageHeaderProblems(res: HttpReply, opts: { https: boolean; html: boolean }): string[] {
  const problems: string[] = [];
  const csp = parseCsp(res.headers.get('content-security-policy'));
  if (!csp.size) problems.push('no Content-Security-Policy');
  else {
    if ((csp.get('default-src') ?? []).join(' ') !== "'none'") problems.push(`CSP default-src is not 'none' (${(csp.get('default-src') ?? ['absent']).join(' ')})`);
    if ((csp.get('frame-ancestors') ?? []).join(' ') !== "'none'") problems.push(`CSP frame-ancestors is not 'none' (${(csp.get('frame-ancestors') ?? ['absent']).join(' ')})`);
    for (const d of ['script-src', 'style-src']) {
      const unsafe = (csp.get(d) ?? []).filter((s) => /^'unsafe-/i.test(s) || s === '*' || /^(https?|data):$/i.test(s));
      if (unsafe.length) problems.push(`CSP ${d} allows ${unsafe.join(' ')}`);
    }
  }
  if ((res.headers.get('x-content-type-options') ?? '').toLowerCase() !== 'nosniff') problems.push('no X-Content-Type-Options: nosniff');
  if ((res.headers.get('referrer-policy') ?? '').toLowerCase() !== 'no-referrer') problems.push(`Referrer-Policy is ${res.headers.get('referrer-policy') ?? 'absent'}, not no-referrer`);
  if (!/\bno-store\b/i.test(res.headers.get('cache-control') ?? '')) problems.push(`Cache-Control is ${res.headers.get('cache-control') ?? 'absent'}, not no-store`);
  if (opts.https && !/max-age=\d+/i.test(res.headers.get('strict-transport-security') ?? '')) problems.push('no Strict-Transport-Security over https');
  if (opts.html) problems.push(...inlineScriptProblems(res.text));
  return problems;
}

/** Inline script in a page: a `<script>` without `src`, an `on…=` handler or a `javascript:` URL. */
export function inlineScriptProblems(html: string): string[] {
  const problems: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!/\bsrc\s*=/i.test(m[1]) && m[2].trim() !== '' && !/type\s*=\s*["']?application\/(ld\+)?json/i.test(m[1])) problems.push('an inline <script>');
  }
  const handler = /<[^>]+\son[a-z]+\s*=/i.exec(html);
  if (handler) problems.push(`an inline event handler (${handler[0].slice(0, 60)}…)`);
  if (/\b(href|src|action)\s*=\s*["']?\s*javascript:/i.test(html)) problems.push('a javascript: URL');
  return [...new Set(problems)];
}

/** The first `<form method="post">` of a page: its action and hidden fields. */
export function postForm(html: string): { action: string; fields: Record<string, string> } | undefined {
  const m = /<form\b([^>]*)>([\s\S]*?)<\/form>/gi;
  for (const f of html.matchAll(m)) {
    if (!/method\s*=\s*["']?post/i.test(f[1])) continue;
    const action = /action\s*=\s*["']([^"']*)["']/i.exec(f[1])?.[1];
    if (!action) continue;
    const fields: Record<string, string> = {};
    for (const i of f[2].matchAll(/<input\b([^>]*)>/gi)) {
      const name = /name\s*=\s*["']([^"']*)["']/i.exec(i[1])?.[1];
      const value = /value\s*=\s*["']([^"']*)["']/i.exec(i[1])?.[1] ?? '';
      if (name) fields[name] = decodeEntities(value);
    }
    return { action: decodeEntities(action), fields };
  }
  return undefined;
}

function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] as string);
}
