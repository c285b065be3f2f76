/**
 * The builtin tool executor types of agent.json: one row each (description, config Schema, constructor).
 */
import * as ToolExecutor from "../../../tools/ToolExecutor.js"
import { DefaultToolExecutorConfig } from "../../BuiltinConfigs.js"
import { builtin, type Table } from "../builtin.js"

export const executors = {
  default: builtin({
    description: "Validates tool arguments and runs each call under a timeout (`default_timeout_ms`).",
    config: DefaultToolExecutorConfig,
    make: (c) => ToolExecutor.layer(c.default_timeout_ms !== undefined ? { defaultTimeoutMs: c.default_timeout_ms } : {})
  })
} as const satisfies Table<"tool_executor">
