/**
 * The builtin tool types of agent.json: one row each (description, config Schema, constructor).
 */
import * as Calc from "../../../tools/builtin/Calc.js"
import * as CurrentTime from "../../../tools/builtin/CurrentTime.js"
import * as JsonParse from "../../../tools/builtin/JsonParse.js"
import * as TextTransform from "../../../tools/builtin/TextTransform.js"
import type { Tool } from "../../../tools/Tool.js"
import { CurrentTimeConfig, ToolConfig } from "../../BuiltinConfigs.js"
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
  })
} as const satisfies Table<"tool">
