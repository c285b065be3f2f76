/**
 * The builtin tool types of agent.json: one row each (description, config Schema, constructor).
 */
import * as path from "node:path"
import * as Calc from "../../../tools/builtin/Calc.js"
import * as CurrentTime from "../../../tools/builtin/CurrentTime.js"
import * as DateTools from "../../../tools/builtin/DateTools.js"
import * as FileSearch from "../../../tools/builtin/FileSearch.js"
import * as FileTools from "../../../tools/builtin/FileTools.js"
import * as GetEnv from "../../../tools/builtin/GetEnv.js"
import * as HttpRequest from "../../../tools/builtin/HttpRequest.js"
import * as JsonParse from "../../../tools/builtin/JsonParse.js"
import * as MathTools from "../../../tools/builtin/MathTools.js"
import * as RandomTools from "../../../tools/builtin/RandomTools.js"
import * as RememberPreference from "../../../tools/builtin/RememberPreference.js"
import * as ShellExec from "../../../tools/builtin/ShellExec.js"
import * as TextTransform from "../../../tools/builtin/TextTransform.js"
import * as UrlTools from "../../../tools/builtin/UrlTools.js"
import * as Mcp from "../../../tools/mcp/Mcp.js"
import * as Handoff from "../../../tools/Handoff.js"
import * as SubAgent from "../../../tools/SubAgent.js"
import type { Tool } from "../../../tools/Tool.js"
import { CurrentTimeConfig, McpToolConfig, ToolConfig } from "../../BuiltinConfigs.js"
import { builtin, type Table, timeoutOf } from "../builtin.js"
import {
  DeleteFileConfig,
  GetEnvConfig,
  GrepFilesConfig,
  HttpRequestConfig,
  ListFilesConfig,
  ReadFileConfig,
  RememberPreferenceConfig,
  ShellExecConfig,
  SubAgentToolConfig,
  childBudgetOf,
  HandoffToolConfig,
  WriteFileConfig
} from "../toolConfigs.js"

/** A pure tool with only `timeout_ms`. */
const plain = (description: string, make: (options: { name: string; timeoutMs?: number }) => Tool) =>
  builtin({ description, config: ToolConfig, make: (c, { id }): Tool => make({ name: id, ...timeoutOf(c) }) })

const opt = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { readonly [P in K]?: V }

export const tools = {
  calc: plain(
    "Evaluates an arithmetic expression exactly (+ - * / % ** ^, parentheses, pi, e, sqrt, ...).",
    (o) => Calc.make(o)
  ),
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
  json_parse: plain(
    "Parses a JSON text (optionally returning the part at a path) or says where it is invalid.",
    (o) => JsonParse.make(o)
  ),
  text_transform: plain(
    "Transforms or measures a text: case, reverse, trim, length, word_count, slug.",
    (o) => TextTransform.make(o)
  ),
  read_file: builtin({
    description: "Reads a text file under `root` (capped at max_read_bytes); paths outside root are refused.",
    config: ReadFileConfig,
    make: (c, { dir, id }): Tool =>
      FileTools.makeRead({ name: id, root: path.resolve(dir, c.root), ...timeoutOf(c), ...opt("maxReadBytes", c.max_read_bytes) })
  }),
  write_file: builtin({
    description: "Writes (mode w) or appends (mode a) a text file under `root`; appends happen once per call.",
    config: WriteFileConfig,
    make: (c, { dir, id }): Tool =>
      FileTools.makeWrite({
        name: id,
        root: path.resolve(dir, c.root),
        ...timeoutOf(c),
        ...opt("maxWriteBytes", c.max_write_bytes),
        ...opt("exactlyOnceAppends", c.exactly_once_appends)
      })
  }),
  list_files: builtin({
    description: "Lists files under `root` (glob on names, optionally recursive, at most max_entries).",
    config: ListFilesConfig,
    make: (c, { dir, id }): Tool =>
      FileSearch.makeList({ name: id, root: path.resolve(dir, c.root), ...timeoutOf(c), ...opt("maxEntries", c.max_entries) })
  }),
  delete_file: builtin({
    description: "Deletes a file or folder under `root` (never the root itself); not idempotent.",
    config: DeleteFileConfig,
    make: (c, { dir, id }): Tool => FileTools.makeDelete({ name: id, root: path.resolve(dir, c.root), ...timeoutOf(c) })
  }),
  grep_files: builtin({
    description: "Searches the text files under `root` for lines matching a regular expression (at most max_matches).",
    config: GrepFilesConfig,
    make: (c, { dir, id }): Tool =>
      FileSearch.makeGrep({
        name: id,
        root: path.resolve(dir, c.root),
        ...timeoutOf(c),
        ...opt("maxMatches", c.max_matches),
        ...opt("maxReadBytes", c.max_read_bytes)
      })
  }),
  http_request: builtin({
    description: "Makes an HTTP request to an allowed public host (private addresses refused unless allow_private).",
    config: HttpRequestConfig,
    make: (c, { id }): Tool =>
      HttpRequest.make({
        name: id,
        ...opt("allowedHosts", c.allowed_hosts),
        ...opt("allowPrivate", c.allow_private),
        ...opt("allowedMethods", c.allowed_methods),
        ...opt("maxResponseBytes", c.max_response_bytes),
        ...opt("maxRequestBytes", c.max_request_bytes),
        ...timeoutOf(c)
      })
  }),
  shell_exec: builtin({
    description: "Runs an allowlisted program with arguments, without a shell, in `root` (process group killed on timeout).",
    config: ShellExecConfig,
    make: (c, { dir, id }): Tool =>
      ShellExec.make({
        name: id,
        root: path.resolve(dir, c.root),
        allowedCommands: c.allowed_commands,
        ...opt("envPassthrough", c.env_passthrough),
        ...timeoutOf(c),
        ...opt("captureBytes", c.capture_bytes)
      })
  }),
  get_env: builtin({
    description: "Reads an environment variable, one of `allowed_keys`.",
    config: GetEnvConfig,
    make: (c, { id }): Tool => GetEnv.make({ name: id, allowedKeys: c.allowed_keys, ...timeoutOf(c) })
  }),
  date_parse: plain("Parses a date (ISO 8601, RFC 2822, Unix timestamp) and describes it.", (o) => DateTools.makeParse(o)),
  date_diff: plain("The time between two dates in a unit (milliseconds to weeks).", (o) => DateTools.makeDiff(o)),
  url_parse: plain("Splits a URL into its parts, the query decoded.", (o) => UrlTools.makeParse(o)),
  url_build: plain("Builds a URL from its parts, each encoded.", (o) => UrlTools.makeBuild(o)),
  query_param: plain("Gets, sets or deletes one query parameter of a URL.", (o) => UrlTools.makeQueryParam(o)),
  host_lookup: plain("Reads the host, port and scheme of a URL (no DNS).", (o) => UrlTools.makeHostLookup(o)),
  uuid: plain("Makes random (version 4) UUIDs.", (o) => RandomTools.makeUuid(o)),
  random_int: plain("Draws random whole numbers in [min, max].", (o) => RandomTools.makeInt(o)),
  random_choice: plain("Picks items at random from a list.", (o) => RandomTools.makeChoice(o)),
  random_string: plain("Makes a random string from a character set (cryptographic generator).", (o) => RandomTools.makeString(o)),
  percentage: plain("Percentages: of, increase, decrease, ratio, change.", (o) => MathTools.makePercentage(o)),
  min_max: plain("The smallest and/or largest of a list of numbers.", (o) => MathTools.makeMinMax(o)),
  remember_preference: builtin({
    description: "Writes a preference the user stated into a Markdown file under `root` (once per rule).",
    config: RememberPreferenceConfig,
    make: (c, { dir, id }): Tool =>
      RememberPreference.make({ name: id, root: path.resolve(dir, c.root), ...timeoutOf(c), ...opt("file", c.file) })
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
  }),
  agent: builtin({
    description: "Another agent of this config as a tool: a child run on its own session, within the parent's budget.",
    config: SubAgentToolConfig,
    make: (c, { id }): Tool =>
      SubAgent.make(id, {
        agent: c.agent,
        description: c.description,
        timeoutMs: c.timeout_ms,
        session: c.session,
        budget: childBudgetOf(c.budget),
        background: c.background
      })
  }),
  handoff: builtin({
    description: "Hands the conversation to another agent of this config: it answers on the session, and the run ends with its answer.",
    config: HandoffToolConfig,
    make: (c, { id }): Tool =>
      Handoff.make(id, { agent: c.agent, description: c.description, timeoutMs: c.timeout_ms, session: c.session, budget: childBudgetOf(c.budget) })
  })
} as const satisfies Table<"tool">
