/** Only same-site paths: `?next=https://evil.example` must not send anyone away after sign in. */
export function safeNext(raw: string | null): string | null {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return null;
  if (raw.startsWith('/signin') || raw.startsWith('/signup')) return null;
  return raw;
}
