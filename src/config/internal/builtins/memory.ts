/**
 * The builtin memory types of agent.json: one row each (description, config Schema, constructor).
 */
import * as Experiences from "../../../memory/Experiences.js"
import * as WindowBuffer from "../../../memory/WindowBuffer.js"
import { ExperiencesMemoryConfig } from "../../TracesConfig.js"
import { BufferConfig, WindowBufferConfig } from "../../BuiltinConfigs.js"
import { builtin, type Table } from "../builtin.js"

export const memory = {
  window_buffer: builtin({
    description: "Replays the last `window_size` turns of the session to the model (default 20).",
    config: WindowBufferConfig,
    make: (c) => WindowBuffer.layer({ windowSize: c.window_size, ...(c.state_key !== undefined ? { stateKey: c.state_key } : {}) })
  }),
  buffer: builtin({
    description: "Alias of window_buffer sized by `max_items` (the Python SDK's name).",
    config: BufferConfig,
    make: (c) =>
      WindowBuffer.layer({
        windowSize: c.max_items ?? Number.MAX_SAFE_INTEGER,
        ...(c.state_key !== undefined ? { stateKey: c.state_key } : {})
      })
  }),
  experiences: builtin({
    description: "Injects the agent's experiences most relevant to the task (learnt from feedback) into the system " +
      "prompt, and keeps the session's history in a window buffer.",
    config: ExperiencesMemoryConfig,
    make: (c) =>
      Experiences.layer({
        topK: c.top_k,
        heading: c.heading,
        history: c.history === "none" ? false : WindowBuffer.make({ windowSize: c.window_size ?? 20 })
      })
  })
} as const satisfies Table<"memory">
