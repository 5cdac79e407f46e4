import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may not be delivered: this machine, private and shared networks, and every
 * special-purpose range (IANA's special-purpose registries), in both families, including IPv6
 * spellings of IPv4 addresses (mapped, NAT64), since a name can resolve to any of them.
 */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23],
  ['2001:db8::', 32], ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether a webhook may be sent to this resolved address: a public one, or, where loopback is
 * allowed (the local gateway, for testing), this machine's loopback too, and nothing else private.
 */
export function deliverableAddress(address: string, options: { allowLoopback: boolean }): boolean {
  const family = isIP(address) === 6 ? 'ipv6' : isIP(address) === 4 ? 'ipv4' : null;
  if (family === null) return false;
  if (options.allowLoopback && LOOPBACK.check(address, family)) return true;
  // IPv4-mapped IPv6 (::ffff:a.b.c.d): never a receiver's address. (Not in the BlockList, which
  // matches every IPv4 address against that range.)
  if (family === 'ipv6' && /^::ffff:/i.test(address)) return false;
  return !NOT_PUBLIC.check(address, family);
}
