/**
 * Whether `url` names this machine: `localhost`, 127.0.0.0/8 or `[::1]`.
 * Plain `http:` is allowed for these without an opt-in, since nothing
 * crosses a network. (`*.localhost` names are left out: whether they resolve
 * to loopback depends on the system resolver.)
 */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  if (host === 'localhost') return true;
  if (host === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Whether a key set or metadata URL may be fetched: `https:` always, `http:`
 * only for loopback hosts or with `allowInsecureHttp`.
 */
export function isAllowedFetchUrl(url: URL, allowInsecureHttp: boolean): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && (allowInsecureHttp || isLoopbackUrl(url));
}

/** `value` parsed as an absolute `http:` or `https:` URL, or undefined when it is not one. */
export function parseHttpUrl(value: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
}
