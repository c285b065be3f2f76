/**
 * The builtin memory types of agent.json: one row each (description, config Schema, constructor).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as path from "node:path"
import * as Experiences from "../../../memory/Experiences.js"
import * as MarkdownMemory from "../../../memory/MarkdownMemory.js"
import * as WindowBuffer from "../../../memory/WindowBuffer.js"
import { BufferConfig, ChainMemoryConfig, MarkdownMemoryConfig, WindowBufferConfig } from "../../BuiltinConfigs.js"
import { ExperiencesMemoryConfig } from "../../TracesConfig.js"
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
  }),
  chain: builtin({
    description: "Several memories in order (`memories`: memory refs); each injects in turn, write-backs run in reverse.",
    config: ChainMemoryConfig,
    // the nested refs are built through the registry, which imports this table: loaded on first use
    make: (c, context) =>
      Layer.unwrapEffect(Effect.map(Effect.promise(() => import("../memoryRefs.js")), (m) => m.chainLayer(c, context)))
  }),
  markdown_memory: builtin({
    description: "Markdown files in `memory_dir` read into the context; `remember_preference` appends to them.",
    config: MarkdownMemoryConfig,
    make: (c, { dir }) =>
      MarkdownMemory.layer({
        memoryDir: c.memory_dir.startsWith("~") ? c.memory_dir : path.resolve(dir, c.memory_dir),
        maxCharsPerSection: c.max_chars_per_section,
        sections: c.sections
      })
  })
} as const satisfies Table<"memory">
