/**
 * Source-IP allowlists for providers whose webhooks carry no signature (YooKassa). Entries are
 * CIDRs or single addresses, IPv4 or IPv6; IPv4-mapped IPv6 client addresses (`::ffff:a.b.c.d`, as
 * a dual-stack socket reports them) match IPv4 entries. Fails closed: an unparsable client address
 * is not allowed.
 */
import { BlockList, isIP } from 'node:net';

/** A compiled allowlist. */
export interface IpAllowlist {
  /** Whether `ip` (plain IPv4/IPv6 text, no port, no brackets) is on the list. */
  allows(ip: string): boolean;
  /** The entries it was built from. */
  readonly entries: readonly string[];
}

/**
 * Compiles `entries` ("185.71.76.0/27", "77.75.156.11", "2a02:5180::/32").
 * @throws RangeError for an entry that is not an address or CIDR
 */
export function createIpAllowlist(entries: readonly string[]): IpAllowlist {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefixText, extra] = entry.trim().split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined) throw new RangeError(`not an IP address or CIDR: ${JSON.stringify(entry)}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefixText === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) throw new RangeError(`bad CIDR prefix: ${JSON.stringify(entry)}`);
    list.addSubnet(address, prefix, type);
  }
  const frozen = Object.freeze([...entries]);
  return {
    entries: frozen,
    allows(ip) {
      const family = isIP(ip);
      if (family === 0) return false;
      return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
