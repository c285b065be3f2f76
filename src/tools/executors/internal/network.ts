/**
 * The network rule of the policy executor: a URL argument must use an allowed scheme, name an allowed
 * host, and (unless `allow_private`) not point at a private, loopback, link-local or otherwise internal
 * address. Hosts are taken as the WHATWG URL parser normalises them (`0x7f.1` is `127.0.0.1`,
 * `[::ffff:127.0.0.1]` is `[::ffff:7f00:1]`), so other spellings of an address are caught too.
 *
 * Host names are not resolved: a public name that resolves to a private address is not caught here;
 * `allow_hosts` is the defence against that.
 */
import * as net from "node:net"
import { quote } from "./args.js"
import * as Glob from "./glob.js"

/** A refusal: the rule (config key) and why. */
export interface Refusal {
  readonly rule: string
  readonly reason: string
}

const parseV4 = (s: string): ReadonlyArray<number> | undefined => {
  if (!net.isIPv4(s)) return undefined
  return s.split(".").map(Number)
}

const privateV4 = ([a, b, c]: ReadonlyArray<number>): boolean =>
  a === 0 || a === 10 || a === 127 ||
  (a === 100 && b! >= 64 && b! <= 127) || // carrier-grade NAT
  (a === 169 && b === 254) || // link-local, cloud metadata
  (a === 172 && b! >= 16 && b! <= 31) ||
  (a === 192 && b === 168) ||
  (a === 192 && b === 0 && c === 0) ||
  (a === 198 && (b === 18 || b === 19)) ||
  a! >= 224 // multicast, reserved, broadcast

/** The 8 groups of an IPv6 address (a dotted IPv4 tail and a zone allowed), or undefined. */
const parseV6 = (s: string): ReadonlyArray<number> | undefined => {
  let text = s.replace(/%.*$/, "")
  if (!net.isIPv6(text)) return undefined
  const lastColon = text.lastIndexOf(":")
  const tail = parseV4(text.slice(lastColon + 1))
  if (tail !== undefined) {
    text = `${text.slice(0, lastColon + 1)}${((tail[0]! << 8) | tail[1]!).toString(16)}:${((tail[2]! << 8) | tail[3]!).toString(16)}`
  }
  const [head, rest] = text.split("::") as [string, string | undefined]
  const groups = (part: string | undefined) => (part ? part.split(":").map((h) => parseInt(h, 16)) : [])
  const left = groups(head)
  const right = groups(rest)
  const zeros = rest === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0)
  const all = [...left, ...zeros, ...right]
  return all.length === 8 ? all : undefined
}

const v4Of = (hi: number, lo: number): ReadonlyArray<number> => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]

const privateV6 = (g: ReadonlyArray<number>): boolean => {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number]
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0)
  if (zeroTo(8)) return true // unspecified
  if (zeroTo(7) && g7 === 1) return true // loopback
  if ((g0 & 0xfe00) === 0xfc00) return true // unique local
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return true // link-local, site-local
  if ((g0 & 0xff00) === 0xff00) return true // multicast
  // addresses that carry an IPv4 address: judged by it
  if (zeroTo(5) && g5 === 0xffff) return privateV4(v4Of(g6, g7)) // IPv4-mapped
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return privateV4(v4Of(g6, g7)) // IPv4-translated
  if (zeroTo(6)) return privateV4(v4Of(g6, g7)) // IPv4-compatible
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return privateV4(v4Of(g6, g7)) // NAT64
  if (g0 === 0x2002) return privateV4(v4Of(g1, g2)) // 6to4
  return false
}

/** True for a host that is an internal address or a name of this machine. */
export const isPrivateHost = (host: string): boolean => {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "")
  if (h === "" || h === "localhost" || h.endsWith(".localhost") || h === "localhost.localdomain") return true
  const v4 = parseV4(h)
  if (v4 !== undefined) return privateV4(v4)
  const v6 = parseV6(h)
  return v6 !== undefined && privateV6(v6)
}

/** The network rule's options, compiled. */
export interface Options {
  /** Host globs (lowercase); `undefined`: any host. */
  readonly allowHosts: ReadonlyArray<string> | undefined
  readonly allowPrivate: boolean
  readonly allowSchemes: ReadonlyArray<string>
}

/** Why the URL `value` (the argument `key`) is refused, or `undefined`. */
export const check = (key: string, value: string, options: Options): Refusal | undefined => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return { rule: "allow_hosts", reason: `${key} ${quote(value)} is not a valid URL` }
  }
  const scheme = url.protocol.replace(/:$/, "").toLowerCase()
  if (!options.allowSchemes.includes(scheme)) {
    return {
      rule: "allow_schemes",
      reason: `${key} ${quote(value)} uses scheme '${scheme}', not one of [${options.allowSchemes.join(", ")}]`
    }
  }
  const host = url.hostname.toLowerCase()
  if (!options.allowPrivate && isPrivateHost(host)) {
    return { rule: "allow_private", reason: `${key} ${quote(value)} points at a private, loopback or link-local address (${host})` }
  }
  const bare = host.replace(/^\[|\]$/g, "").replace(/\.$/, "")
  if (options.allowHosts !== undefined && Glob.firstMatch(options.allowHosts, bare, { ignoreCase: true }) === undefined) {
    return { rule: "allow_hosts", reason: `${key} ${quote(value)}: host '${bare}' is not in the allowed hosts [${options.allowHosts.join(", ")}]` }
  }
  return undefined
}

/** True for a string that is a whole absolute URL (`scheme://...`, no spaces): checked wherever it is. */
export const looksLikeUrl = (value: string): boolean => /^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value)
