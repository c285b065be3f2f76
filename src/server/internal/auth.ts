/**
 * Bearer tokens: read from an environment variable (comma-separated), checked in constant time, so a
 * wrong token's timing says nothing about how much of it was right.
 */
import { createHash, timingSafeEqual } from "node:crypto"

/** The tokens of a comma-separated list, blanks dropped. */
export const parseTokens = (value: string | undefined): ReadonlyArray<string> =>
  (value ?? "").split(",").map((t) => t.trim()).filter((t) => t !== "")

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest()

/** A checker of `tokens`: every token is compared (hashes of equal length) whatever matched. */
export const checker = (tokens: ReadonlyArray<string>) => {
  const digests = tokens.map(digest)
  return (presented: string): boolean => {
    const candidate = digest(presented)
    let ok = false
    for (const d of digests) ok = timingSafeEqual(d, candidate) || ok
    return ok && presented !== ""
  }
}

/** Whether `host` is a loopback address (where `--no-auth` is allowed). */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host)
