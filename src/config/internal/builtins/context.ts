/**
 * The builtin context assembler types of agent.json: one row each (description, config Schema, constructor).
 */
import * as ContextAssembler from "../../../context/ContextAssembler.js"
import { NoConfig } from "../../BuiltinConfigs.js"
import { builtin, type Table } from "../builtin.js"

export const context = {
  passthrough: builtin({
    description: "Sends the whole transcript to the model unchanged.",
    config: NoConfig,
    make: () => ContextAssembler.layerPassthrough
  })
} as const satisfies Table<"context_assembler">
