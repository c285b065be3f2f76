/**
 * The builtin pattern types of agent.json: one row each (description, config Schema, constructor).
 */
import * as React from "../../../patterns/React.js"
import { NoConfig } from "../../BuiltinConfigs.js"
import { builtin, type Table } from "../builtin.js"

export const patterns = {
  react: builtin({
    description: "ReAct with native tool calling: the model calls tools until it answers without one.",
    config: NoConfig,
    make: () => React.layer
  })
} as const satisfies Table<"pattern">
