/**
 * The builtin tool types of agent.json: one row each (description, config Schema, constructor).
 */
import * as Calc from "../../../tools/builtin/Calc.js"
import * as CurrentTime from "../../../tools/builtin/CurrentTime.js"
import * as path from "node:path"
import * as JsonParse from "../../../tools/builtin/JsonParse.js"
import * as TextTransform from "../../../tools/builtin/TextTransform.js"
import * as Mcp from "../../../tools/mcp/Mcp.js"
import type { Tool } from "../../../tools/Tool.js"
import { CurrentTimeConfig, McpToolConfig, ToolConfig } from "../../BuiltinConfigs.js"
import { builtin, type Table, timeoutOf } from "../builtin.js"

export const tools = {
  calc: builtin({
    description: "Evaluates an arithmetic expression exactly (+ - * / % ** ^, parentheses, pi, e, sqrt, ...).",
    config: ToolConfig,
    make: (c, { id }): Tool => Calc.make({ name: id, ...timeoutOf(c) })
  }),
  current_time: builtin({
    description: "Returns the current date and time (ISO 8601, local time in a given IANA timezone).",
    config: CurrentTimeConfig,
    make: (c, { id }): Tool =>
      CurrentTime.make({
        name: id,
        ...timeoutOf(c),
        ...(c.default_timezone !== undefined ? { defaultTimezone: c.default_timezone } : {})
      })
  }),
  json_parse: builtin({
    description: "Parses a JSON text (optionally returning the part at a path) or says where it is invalid.",
    config: ToolConfig,
    make: (c, { id }): Tool => JsonParse.make({ name: id, ...timeoutOf(c) })
  }),
  text_transform: builtin({
    description: "Transforms or measures a text: case, reverse, trim, length, word_count, slug.",
    config: ToolConfig,
    make: (c, { id }): Tool => TextTransform.make({ name: id, ...timeoutOf(c) })
  }),
  mcp: builtin({
    description: "The tools of an MCP server (stdio or streamable HTTP), each offered to the model under its own name.",
    config: McpToolConfig,
    // the tools are known once connected: a toolkit Layer, built with the agent's other seams
    make: (c, { dir, id, where }) =>
      Mcp.layer({
        id,
        where,
        server: c.server.url !== undefined
          ? { url: c.server.url, headers: c.server.headers, initTimeoutMs: c.server.init_timeout_ms }
          : {
            // the config's filter makes sure a server without `url` has a `command`
            command: c.server.command ?? "",
            args: c.server.args,
            env: c.server.env,
            envPassthrough: c.server.env_passthrough,
            cwd: c.server.cwd === undefined ? undefined : path.resolve(dir, c.server.cwd),
            initTimeoutMs: c.server.init_timeout_ms
          },
        tools: c.tools,
        // `pooled` is the Python SDK's name: its pools are per session
        connectionMode: c.connection_mode === "pooled" ? "session" : c.connection_mode,
        idleTimeoutMs: c.idle_timeout_ms,
        timeoutMs: c.timeout_ms
      })
  })
} as const satisfies Table<"tool">
