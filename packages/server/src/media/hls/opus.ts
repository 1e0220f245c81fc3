/** Samples at 48 kHz in one Opus packet, from its TOC byte (RFC 6716 §3.1); 960 if unreadable. */
export function opusPacketSamples(packet: Buffer): number {
  if (packet.length < 1) return 960;
  const toc = packet[0]!;
  const config = toc >> 3;
  let frame: number; // in 48 kHz samples
  if (config < 12) frame = [480, 960, 1920, 2880][config % 4]!;
  else if (config < 16) frame = [480, 960][config % 2]!;
  else frame = [120, 240, 480, 960][config % 4]!;
  const code = toc & 0x03;
  const frames = code === 0 ? 1 : code < 3 ? 2 : (packet[1] ?? 1) & 0x3f;
  return frame * Math.max(1, frames);
}
