/**
 * An MCP tool result as a tool result of the runtime: structured content when the server gives it,
 * otherwise the text of the content blocks, with images, audio and resources described in a few words
 * (their bytes are not sent to the model).
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import type { ContentBlock } from "@modelcontextprotocol/sdk/types.js"

const sizeOf = (base64: string) => Math.floor((base64.length * 3) / 4) - (base64.match(/=*$/)?.[0].length ?? 0)

/** One content block as text. */
export const describe = (block: ContentBlock): string => {
  switch (block.type) {
    case "text":
      return block.text
    case "image":
      return `[image: ${block.mimeType}, ${sizeOf(block.data)} bytes]`
    case "audio":
      return `[audio: ${block.mimeType}, ${sizeOf(block.data)} bytes]`
    case "resource_link":
      return `[resource: ${block.uri}${block.mimeType ? ` (${block.mimeType})` : ""}]`
    case "resource": {
      const r = block.resource
      return "text" in r && typeof r.text === "string" ? r.text : `[resource: ${r.uri}${r.mimeType ? ` (${r.mimeType})` : ""}]`
    }
    default:
      return `[${(block as { type?: unknown }).type ?? "unknown"} content]`
  }
}

/** The text of all content blocks, one per line. */
export const text = (content: ReadonlyArray<ContentBlock> | undefined): string =>
  (content ?? []).map(describe).join("\n")

/** A result of `tools/call`, as the SDK's client returns it (a pre-2024-11 server may send `toolResult`). */
export type Result = Awaited<ReturnType<Client["callTool"]>>

const blocksOf = (result: Result): ReadonlyArray<ContentBlock> =>
  Array.isArray(result.content) ? (result.content as ReadonlyArray<ContentBlock>) : []

/** The error text of an `isError` result, or `undefined` when the result is no error. */
export const errorOf = (result: Result): string | undefined =>
  result.isError === true ? text(blocksOf(result)) || "the tool reported an error" : undefined

/** What the model sees of a successful result. */
export const output = (result: Result): unknown => {
  if (result.structuredContent !== undefined && result.structuredContent !== null) return result.structuredContent
  if ("toolResult" in result && !("content" in result)) return result.toolResult
  return text(blocksOf(result))
}
