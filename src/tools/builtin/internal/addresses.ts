/**
 * Which IP addresses are private: loopback, private networks, link-local, carrier-grade NAT, multicast,
 * reserved and documentation ranges, for IPv4 and IPv6 (IPv4-mapped, IPv4-compatible and NAT64 IPv6
 * addresses are judged by the IPv4 address they carry).
 */
import * as dns from "node:dns"
import * as net from "node:net"

const V4_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ["0.0.0.0", 8, "this network"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.0.2.0", 24, "documentation"],
  ["192.88.99.0", 24, "6to4 relay"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"]
]

const v4ToInt = (address: string): number =>
  address.split(".").reduce((n, part) => n * 256 + Number(part), 0)

const v4Range = (address: string): string | undefined => {
  const n = v4ToInt(address)
  for (const [base, bits, label] of V4_RANGES) {
    const size = 2 ** (32 - bits)
    const start = v4ToInt(base)
    if (n >= start && n < start + size) return label
  }
  return undefined
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or undefined when it is not one. */
const v6Groups = (address: string): ReadonlyArray<number> | undefined => {
  let text = address.split("%")[0]!
  if (!net.isIPv6(text)) return undefined
  // a trailing dotted IPv4 address is two groups
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/)
  if (dotted) {
    const n = v4ToInt(dotted[1]!)
    text = text.slice(0, -dotted[1]!.length) + `${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`
  }
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)))
  if (!text.includes("::")) {
    const groups = parse(text)
    return groups.length === 8 ? groups : undefined
  }
  const [head = "", rest = ""] = text.split("::")
  const left = parse(head)
  const right = parse(rest)
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
}

const v6Range = (groups: ReadonlyArray<number>): string | undefined => {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups
  const embedded = () => `${g6 >> 8}.${g6 & 255}.${g7 >> 8}.${g7 & 255}`
  const zeroTo = (n: number) => groups.slice(0, n).every((g) => g === 0)
  if (zeroTo(8)) return "unspecified"
  if (zeroTo(7) && g7 === 1) return "loopback"
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64): the IPv4 address decides
  if (zeroTo(5) && g5 === 0xffff) return v4Range(embedded()) ?? undefined
  if (zeroTo(6)) return v4Range(embedded()) ?? "IPv4-compatible"
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4Range(embedded())
  if ((g0 & 0xfe00) === 0xfc00) return "unique local (private)"
  if ((g0 & 0xffc0) === 0xfe80) return "link-local"
  if ((g0 & 0xffc0) === 0xfec0) return "site-local"
  if ((g0 & 0xff00) === 0xff00) return "multicast"
  if (g0 === 0x2001 && g1 === 0x0db8) return "documentation"
  if (g0 === 0x2002) return v4Range(`${g1 >> 8}.${g1 & 255}.${g2 >> 8}.${g2 & 255}`) // 6to4
  return undefined
}

/**
 * The kind of private or special range an IP address is in (`loopback`, `private`, `link-local`, ...),
 * or undefined for a public address. A string that is not an IP address is undefined too.
 */
export const privateRange = (address: string): string | undefined => {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address
  if (net.isIPv4(bare)) return v4Range(bare)
  const groups = v6Groups(bare)
  return groups === undefined ? undefined : v6Range(groups)
}

/** True when the string is an IP address (IPv6 possibly in brackets). */
export const isIp = (address: string): boolean => {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address
  return net.isIP(bare.split("%")[0]!) !== 0
}

/**
 * A `lookup` for sockets that resolves every address of a host and refuses to connect when one is
 * private (unless `allowPrivate(host)`): checked when the socket connects, so a name that resolved to a
 * public address for the up-front check and to a private one now (DNS rebinding) is still refused.
 */
export const guardedLookup = (allowPrivate: (host: string) => boolean): net.LookupFunction => (hostname, options, callback) => {
  const fail = callback as (e: Error) => void
  dns.lookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
    if (error) return fail(error)
    const list = addresses as unknown as ReadonlyArray<dns.LookupAddress>
    const bad = allowPrivate(hostname) ? undefined : list.find((a) => privateRange(a.address) !== undefined)
    if (bad) return fail(new Error(`${hostname} resolves to ${bad.address}, a ${privateRange(bad.address)} address: refused`))
    if ((options as { all?: boolean }).all) return (callback as (e: null, a: typeof list) => void)(null, list)
    const first = list[0]
    if (!first) return fail(new Error(`${hostname} has no address`))
    return (callback as (e: null, a: string, f: number) => void)(null, first.address, first.family)
  })
}
